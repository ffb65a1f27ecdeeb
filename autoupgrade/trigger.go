package autoupgrade

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// DefaultInterval is how often the trigger service reads the catalogs.
const DefaultInterval = 5 * time.Second

// Runs is what the trigger service needs of the API: the choice of a
// profile's channel from the catalogs as they stand, and the run creation
// and start paths every run goes through.
type Runs interface {
	ChooseFor(ctx context.Context, p *fleet.AutoUpgradeProfile) (Choice, error)
	// GenerateRun creates a run named name unless one exists, in which
	// case it returns an error of kind fleet.KindPreconditionFailed.
	GenerateRun(ctx context.Context, p *fleet.AutoUpgradeProfile, ch Choice, name, by string) (*fleet.UpdateRun, error)
	StartGeneratedRun(ctx context.Context, runID string) (*fleet.UpdateRun, error)
}

// Config is what the trigger service works with.
type Config struct {
	Store store.Store
	Runs  Runs
	// RunName names the run a profile makes for a release; it must give
	// the same name for the same profile and release every time.
	RunName  func(profileID, profile, release string) string
	Clock    clock.Clock
	Interval time.Duration
	Logger   *slog.Logger
	NewID    func() string
}

// Triggers is the trigger service: every interval it reads what each
// enabled profile's channel would take, and when that is a release the
// profile has not acted on, it creates and starts a run for it.
type Triggers struct {
	cfg    Config
	mu     sync.Mutex
	timer  clock.Timer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a trigger service; Start starts it.
func New(cfg Config) *Triggers {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string {
			var b [12]byte
			rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Triggers{cfg: cfg, ctx: ctx, cancel: cancel}
}

// Start schedules the first check one interval from now.
func (t *Triggers) Start() {
	t.schedule()
}

func (t *Triggers) schedule() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return
	}
	t.wg.Add(1)
	t.timer = t.cfg.Clock.AfterFunc(t.cfg.Interval, func() {
		defer t.wg.Done()
		if err := t.Check(t.ctx); err != nil && t.ctx.Err() == nil {
			t.cfg.Logger.Warn("auto-upgrade check failed; trying again at the next interval", "error", err)
		}
		t.schedule()
	})
}

// Close stops the service and waits for a check under way.
func (t *Triggers) Close() {
	t.cancel()
	t.mu.Lock()
	if t.timer != nil && t.timer.Stop() {
		t.wg.Done()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// Check looks once at every profile.
func (t *Triggers) Check(ctx context.Context) error {
	opts := store.ListOptions{Kind: store.AutoUpgradeProfiles, Limit: 200}
	var errs []error
	for {
		page, err := t.cfg.Store.List(ctx, opts)
		if err != nil {
			return err
		}
		for _, rec := range page.Records {
			if err := t.checkProfile(ctx, rec); err != nil {
				errs = append(errs, err)
			}
		}
		if page.Next == "" {
			return errors.Join(errs...)
		}
		opts.After = page.Next
	}
}

// checkProfile acts on one profile. The order makes a trigger happen
// once per release even if the process dies at any point: the run's
// name comes from the profile and the release, so a second attempt
// finds the run the first created (and starts it if it is not started);
// the release is recorded in the profile's status only after the run
// has started, under the profile's ETag.
func (t *Triggers) checkProfile(ctx context.Context, rec store.Record) error {
	p, err := store.Decode[fleet.AutoUpgradeProfile](rec)
	if err != nil {
		return err
	}
	if p.Properties.Disabled {
		return nil
	}
	ch, err := t.cfg.Runs.ChooseFor(ctx, p)
	if err != nil {
		// Nothing to take yet (no members, nothing offered): no release.
		return nil
	}
	st := p.Properties.Status
	if st == nil || st.ObservedRelease == "" || channelOf(st.ObservedRelease) != channelOf(ch.Release) {
		// The first look at a profile is its baseline: what is offered
		// now is not news.
		return t.record(ctx, rec, p, ch, nil, false)
	}
	if !Newer(ch.Release, st.ObservedRelease) {
		return nil
	}
	name := t.cfg.RunName(p.ID, p.Name, ch.Release)
	runID := p.ID[:strings.LastIndex(strings.ToLower(p.ID), "/autoupgradeprofiles/")] + "/updateRuns/" + name
	if busy, err := t.activeRun(ctx, p, runID); err != nil {
		return err
	} else if busy != "" {
		return t.record(ctx, rec, p, ch, &fleet.ErrorDetail{Code: "UpdateRunInProgress",
			Message: fmt.Sprintf("update run %s of this profile is still in progress; the release %s was not applied: wait for the run to finish, then generate a run from the profile", busy, ch.Release)}, true)
	}
	run, err := t.cfg.Runs.GenerateRun(ctx, p, ch, name, "caravan-auto-upgrade")
	switch {
	case fleet.KindOf(err) == fleet.KindPreconditionFailed:
		// An earlier attempt created it.
	case err != nil:
		return t.record(ctx, rec, p, ch, errorDetail(err), true)
	default:
		runID = run.ID
	}
	if _, err := t.cfg.Runs.StartGeneratedRun(ctx, runID); err != nil && !t.started(ctx, runID) {
		return t.record(ctx, rec, p, ch, errorDetail(err), true)
	}
	t.cfg.Logger.Info("auto-upgrade profile triggered a run", "profile", p.ID, "release", ch.Release, "run", runID)
	return t.record(ctx, rec, p, ch, nil, true)
}

func channelOf(release string) string {
	c, _, _ := strings.Cut(release, " ")
	return c
}

// activeRun returns the name of a run of the profile, other than runID,
// that is Running, Pending or Stopping.
func (t *Triggers) activeRun(ctx context.Context, p *fleet.AutoUpgradeProfile, runID string) (string, error) {
	ref, _, _, err := fleet.ParseFleetChildID(p.ID)
	if err != nil {
		return "", err
	}
	opts := store.ListOptions{Kind: store.Runs, Parent: store.CanonicalID(ref.ID()),
		States: []string{string(fleet.Running), string(fleet.Pending), string(fleet.Stopping)}, Limit: 200}
	for {
		page, err := t.cfg.Store.List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, rec := range page.Records {
			if rec.ID == store.CanonicalID(runID) {
				continue
			}
			run, err := store.Decode[fleet.UpdateRun](rec)
			if err != nil {
				return "", err
			}
			if strings.EqualFold(run.Properties.AutoUpgradeProfileID, p.ID) {
				return run.Name, nil
			}
		}
		if page.Next == "" {
			return "", nil
		}
		opts.After = page.Next
	}
}

// started reports whether a run is past NotStarted: a start that failed
// on such a run found it started by an earlier attempt.
func (t *Triggers) started(ctx context.Context, runID string) bool {
	rec, err := t.cfg.Store.Get(ctx, store.Runs, store.CanonicalID(runID))
	return err == nil && rec.State != "" && rec.State != string(fleet.NotStarted)
}

func errorDetail(err error) *fleet.ErrorDetail {
	var fe *fleet.Error
	if errors.As(err, &fe) {
		return &fleet.ErrorDetail{Code: fe.Code, Message: fe.Message}
	}
	return &fleet.ErrorDetail{Code: "InternalError", Message: err.Error()}
}

// record writes what the profile saw and, for a trigger, how it went,
// under the ETag the profile was read with; if the profile changed
// meanwhile, the next check sees it afresh.
func (t *Triggers) record(ctx context.Context, rec store.Record, p *fleet.AutoUpgradeProfile, ch Choice, fail *fleet.ErrorDetail, triggered bool) error {
	st := fleet.AutoUpgradeProfileStatus{}
	if p.Properties.Status != nil {
		st = *p.Properties.Status
	}
	st.ObservedRelease = Merge(ch.Release, st.ObservedRelease)
	if triggered {
		now := t.cfg.Clock.Now().UTC()
		st.LastTriggeredAt = &now
		st.LastTriggerUpgradeVersions = ch.Versions
		st.LastTriggerStatus, st.LastTriggerError = fleet.TriggerSucceeded, nil
		if fail != nil {
			st.LastTriggerStatus, st.LastTriggerError = fleet.TriggerFailed, fail
			t.cfg.Logger.Warn("auto-upgrade profile could not trigger a run", "profile", p.ID, "release", ch.Release, "error", fail.Message)
		}
	}
	p.Properties.Status = &st
	p.ETag = t.cfg.NewID()
	next, err := store.NewRecord(store.AutoUpgradeProfiles, rec.ID, rec.Parent, p.ETag, rec.State, p)
	if err != nil {
		return err
	}
	err = t.cfg.Store.Put(ctx, next, store.Precondition{IfMatch: rec.ETag})
	if errors.Is(err, store.ErrPreconditionFailed) {
		return nil
	}
	return err
}
