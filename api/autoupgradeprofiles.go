package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/autoupgrade"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// actionGenerate is the action that generates a run from a profile.
const actionGenerate = "generateUpdateRun"

// profilesSince is the first api-version that defines auto-upgrade
// profiles.
const profilesSince = "2025-03-01"

// ReleaseReader reads a cluster with what its region offers now, past any
// cache. A provider that has it is read through it for auto-upgrade; one
// that has not is read with Describe.
type ReleaseReader interface {
	DescribeReleases(ctx context.Context, clusterID string) (*cluster.Cluster, error)
}

// checkProfileVersion refuses auto-upgrade profiles at api-versions that
// do not define them.
func checkProfileVersion(r *http.Request) error {
	v := strings.ToLower(r.URL.Query().Get("api-version"))
	if len(v) < len(profilesSince) || v[:len(profilesSince)] < profilesSince {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidApiVersionParameter",
			Message: "api-version " + v + " does not define auto-upgrade profiles; use " + profilesSince + " or later"}
	}
	return nil
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkProfileVersion(r); err != nil {
		return err
	}
	rec, err := a.load(r.Context(), store.AutoUpgradeProfiles, rt.childID(), "auto-upgrade profile "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	respond(w, http.StatusOK, rec)
	return nil
}

func (a *API) putProfile(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkProfileVersion(r); err != nil {
		return err
	}
	if err := fleet.ValidateName("name", rt.name, fleet.MaxNameLength); err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in fleet.AutoUpgradeProfile
	if err := decode(body, &in); err != nil {
		return err
	}
	p := in.Properties
	if err := fleet.ValidateAutoUpgradeProfile(&p); err != nil {
		return err
	}
	ctx := r.Context()
	if p.UpdateStrategyID != "" {
		if _, err := a.strategyFor(ctx, rt, p.UpdateStrategyID); err != nil {
			var fe *fleet.Error
			if errors.As(err, &fe) && fe.Field != "" {
				fe.Message = strings.Replace(fe.Message, "a run can only use a strategy", "a profile can only use a strategy", 1)
			}
			return err
		}
	}
	old, exists, err := a.exists(ctx, store.AutoUpgradeProfiles, rt.childID())
	if err != nil {
		return err
	}
	prof := fleet.AutoUpgradeProfile{ID: rt.childID(), Name: rt.name, Type: fleet.TypeAutoUpgradeProfile}
	var prev *fleet.SystemData
	var was *fleet.AutoUpgradeProfile
	if exists {
		if was, err = store.Decode[fleet.AutoUpgradeProfile](old); err != nil {
			return err
		}
		prof.ID, prev = was.ID, was.SystemData
	}
	p.ProvisioningState = fleet.ProvisioningSucceeded
	p.Status = nil
	prof.Properties = p
	if was != nil && was.Properties.Status != nil && sameTrain(was.Properties, p) {
		st := *was.Properties.Status
		prof.Properties.Status = &st
	} else if ch, err := a.ChooseFor(ctx, &prof); err == nil {
		// What the catalogs offer now is not a new release: the profile
		// triggers on the next one.
		prof.Properties.Status = &fleet.AutoUpgradeProfileStatus{ObservedRelease: ch.Release}
	}
	prof.SystemData = a.stamp(r, prev)
	rec, err := a.save(ctx, store.AutoUpgradeProfiles, prof.ID, rt.fleetID(), "", &prof, func(e string) { prof.ETag = e }, precondition(r))
	if err != nil {
		return err
	}
	respond(w, created(!exists), rec)
	return nil
}

// sameTrain reports whether two versions of a profile follow the same
// releases, so that what the old one saw holds for the new.
func sameTrain(a, b fleet.AutoUpgradeProfileProperties) bool {
	return a.Channel == b.Channel && a.TargetKubernetesVersion == b.TargetKubernetesVersion
}

func (a *API) deleteProfile(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkProfileVersion(r); err != nil {
		return err
	}
	return a.remove(w, r, store.AutoUpgradeProfiles, rt.childID())
}

// generateUpdateRun creates, without starting it, a run of what the
// profile's channel takes from the catalogs now. ARM models it as a
// long-running operation; caravan finishes it before answering, with the
// final result: the run's id.
func (a *API) generateUpdateRun(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := checkProfileVersion(r); err != nil {
		return err
	}
	ctx := r.Context()
	p, _, err := store.Load[fleet.AutoUpgradeProfile](ctx, a.cfg.Store, store.AutoUpgradeProfiles, rt.childID())
	if errors.Is(err, store.ErrNotFound) {
		return fleet.NotFound("auto-upgrade profile %s of fleet %s not found", rt.name, rt.fleet)
	}
	if err != nil {
		return err
	}
	ch, err := a.ChooseFor(ctx, p)
	if err != nil {
		return fleet.Conflict("auto-upgrade profile %s cannot generate a run: %v", rt.name, err)
	}
	name := GeneratedRunName(p.Name, a.now().Format("20060102-150405"))
	run, err := a.GenerateRun(ctx, p, ch, name, a.cfg.Principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": run.ID})
	return nil
}

// GeneratedRunName names a run of a profile: the profile's name (cut to
// fit) and a suffix, such as a time or a release's digest.
func GeneratedRunName(profile, suffix string) string {
	suffix = strings.ToLower(suffix)
	room := fleet.MaxNameLength - len(suffix) - 1
	if len(profile) > room {
		profile = strings.TrimRight(profile[:room], "-")
	}
	return profile + "-" + suffix
}

// ReleaseRunName is the name of the run a profile makes for a release:
// the same every time, so a second attempt at one release (after a crash,
// say) finds the run the first made instead of making another.
func ReleaseRunName(profileID, profile, release string) string {
	sum := sha256.Sum256([]byte(store.CanonicalID(profileID) + "\n" + release))
	return GeneratedRunName(profile, "auto-"+hex.EncodeToString(sum[:])[:12])
}

// ChooseFor reads the profile's fleet's members' clusters with what their
// regions offer now, and decides what the profile's channel takes.
func (a *API) ChooseFor(ctx context.Context, p *fleet.AutoUpgradeProfile) (autoupgrade.Choice, error) {
	ref, _, _, err := fleet.ParseFleetChildID(p.ID)
	if err != nil {
		return autoupgrade.Choice{}, err
	}
	members, err := a.members(ctx, ref.ID())
	if err != nil {
		return autoupgrade.Choice{}, err
	}
	if len(members) == 0 {
		return autoupgrade.Choice{}, errors.New("the fleet has no members")
	}
	if a.cfg.Clusters == nil {
		return autoupgrade.Choice{}, errors.New("this server reads no clusters")
	}
	read := a.cfg.Clusters.Describe
	if rr, ok := a.cfg.Clusters.(ReleaseReader); ok {
		read = rr.DescribeReleases
	}
	out := make([]autoupgrade.Member, len(members))
	var wg sync.WaitGroup
	sem := make(chan struct{}, observers)
	for i, m := range members {
		out[i].Name = m.Name
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if c, err := read(rctx, m.Properties.ClusterResourceID); err == nil {
				out[i].Cluster = c
			}
		}()
	}
	wg.Wait()
	return autoupgrade.Choose(p.Properties, out)
}

// GenerateRun creates, without starting it, the run a profile's choice
// describes, through the same checks as a PUT of a run: the profile's
// strategy copied (none: one member at a time), members frozen, the
// version checked as offered. Members the choice skips start Skipped
// with the reason. It creates the run only if none of that name exists;
// if one does, it returns fleet.KindPreconditionFailed.
func (a *API) GenerateRun(ctx context.Context, p *fleet.AutoUpgradeProfile, ch autoupgrade.Choice, name, by string) (*fleet.UpdateRun, error) {
	ref, _, _, err := fleet.ParseFleetChildID(p.ID)
	if err != nil {
		return nil, err
	}
	rt := route{sub: ref.Subscription, rg: ref.ResourceGroup, fleet: ref.Fleet, coll: collRuns, name: name}
	skip := map[string]string{}
	for _, s := range ch.Skipped {
		skip[s.Member] = "skipped by auto-upgrade profile " + p.Name + ": " + s.Reason
	}
	update := ch.Update
	if p.Properties.NodeImageSelection != nil {
		update.NodeImageSelection = &fleet.NodeImageSelection{Type: p.Properties.NodeImageSelection.Type}
	}
	props, err := a.runProperties(ctx, rt, fleet.UpdateRunProperties{
		UpdateStrategyID:     p.Properties.UpdateStrategyID,
		AutoUpgradeProfileID: p.ID,
		ManagedClusterUpdate: update,
	}, skip)
	if err != nil {
		return nil, err
	}
	now := a.now()
	run := fleet.UpdateRun{ID: rt.childID(), Name: name, Type: fleet.TypeUpdateRun, Properties: props,
		SystemData: &fleet.SystemData{CreatedBy: by, CreatedByType: "User", CreatedAt: &now, LastModifiedBy: by, LastModifiedByType: "User", LastModifiedAt: &now}}
	if _, err := a.save(ctx, store.Runs, run.ID, rt.fleetID(), string(fleet.NotStarted), &run, func(e string) { run.ETag = e }, store.Precondition{IfNoneMatch: "*"}); err != nil {
		return nil, err
	}
	return &run, nil
}

// StartGeneratedRun starts a generated run through the same preflight as
// POST .../start.
func (a *API) StartGeneratedRun(ctx context.Context, runID string) (*fleet.UpdateRun, error) {
	if a.cfg.Runs == nil {
		return nil, unavailable("this server does not execute update runs")
	}
	ref, _, name, err := fleet.ParseFleetChildID(runID)
	if err != nil {
		return nil, err
	}
	rt := route{sub: ref.Subscription, rg: ref.ResourceGroup, fleet: ref.Fleet, coll: collRuns, name: name, action: "start"}
	if err := a.checkStart(ctx, rt); err != nil {
		return nil, err
	}
	return a.cfg.Runs.StartRun(ctx, rt.childID(), "")
}
