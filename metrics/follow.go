package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// follower turns the feed's changes into metrics. It runs in one
// goroutine; nothing here is shared.
type follower struct {
	m     *Metrics
	store store.Store
	// runs is the state of every run, for the gauge.
	runs map[string]fleet.State
	// types is the upgrade type of the runs met, read once from the store.
	types map[string]fleet.UpgradeType
	// started is when each running member started, by run and path.
	started map[string]time.Time
	// ended holds, by run and group, the end times of members whose
	// successor has not started yet, oldest first.
	ended map[string][]time.Time
}

// Follow counts the runs in the store, then follows the feed until ctx
// ends. It returns once the count is made, with an error if the store
// could not be read; the following goes on in the background.
func (m *Metrics) Follow(ctx context.Context, f *feed.Feed, s store.Store) error {
	sub := f.Subscribe(ctx, feed.Filter{Buffer: 1 << 16})
	fl := &follower{m: m, store: s, types: map[string]fleet.UpgradeType{}, started: map[string]time.Time{}, ended: map[string][]time.Time{}}
	if err := fl.count(ctx); err != nil {
		return err
	}
	go func() {
		for c := range sub.C {
			fl.apply(ctx, c)
		}
	}()
	return nil
}

// count reads the state of every run from the store.
func (fl *follower) count(ctx context.Context) error {
	runs := map[string]fleet.State{}
	opts := store.ListOptions{Kind: store.Runs, Limit: 1000}
	for {
		page, err := fl.store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error counting update runs for metrics: %w", err)
		}
		for _, rec := range page.Records {
			runs[rec.ID] = fleet.State(rec.State)
		}
		if page.Next == "" {
			break
		}
		opts.After = page.Next
	}
	fl.runs = runs
	fl.setGauge()
	return fl.timestamps(ctx)
}

// timestamps sets the start times of the members running now and of the
// runs Pending now, from the store.
func (fl *follower) timestamps(ctx context.Context) error {
	fl.m.running.Reset()
	fl.m.pending.Reset()
	opts := store.ListOptions{Kind: store.Runs, States: []string{string(fleet.Running), string(fleet.Pending), string(fleet.Stopping)}, Limit: 100}
	for {
		page, err := fl.store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error reading active update runs for metrics: %w", err)
		}
		for _, rec := range page.Records {
			run, err := store.Decode[fleet.UpdateRun](rec)
			if err != nil || run.Properties.Status == nil {
				continue
			}
			fleetName, runName := names(run.ID)
			st := run.Properties.Status
			if st.Status.State == fleet.Pending {
				// The store keeps no time of going Pending: count from now.
				fl.m.pending.WithLabelValues(fleetName, runName).Set(float64(time.Now().Unix()))
			}
			for _, s := range st.Stages {
				for _, g := range s.Groups {
					for _, m := range g.Members {
						if m.Status.State == fleet.Running && m.Status.StartTime != nil {
							fl.m.running.WithLabelValues(fleetName, runName, m.Name).Set(float64(m.Status.StartTime.Unix()))
						}
					}
				}
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// names returns the fleet's and run's names of a run id.
func names(runID string) (fleetName, runName string) {
	f, _, name, err := fleet.ParseFleetChildID(runID)
	if err != nil {
		return "", runID
	}
	return f.Fleet, name
}

func (fl *follower) setGauge() {
	n := map[fleet.State]int{}
	for _, s := range fl.runs {
		n[s]++
	}
	for _, s := range runStates {
		fl.m.runs.WithLabelValues(string(s)).Set(float64(n[s]))
	}
	for s, k := range n {
		fl.m.runs.WithLabelValues(string(s)).Set(float64(k))
	}
}

func (fl *follower) apply(ctx context.Context, c feed.Change) {
	run := store.CanonicalID(c.RunID)
	switch c.Kind {
	case feed.KindResync:
		fl.count(ctx)
		return
	case feed.KindRun:
		switch c.New {
		case feed.Deleted:
			delete(fl.runs, run)
		case feed.Created:
			fl.runs[run] = fleet.NotStarted
		default:
			fl.runs[run] = c.New
		}
		fl.setGauge()
		if c.New == fleet.Failed {
			fl.m.failed.Inc()
		}
		if c.New == fleet.Pending {
			fl.m.pending.WithLabelValues(c.FleetName(), c.RunName()).Set(float64(c.Time.Unix()))
		} else {
			fl.m.pending.DeleteLabelValues(c.FleetName(), c.RunName())
		}
		if c.New != fleet.Running && c.New != fleet.Pending {
			fl.forget(run)
		}
	case feed.KindMember:
		fl.member(ctx, run, c)
	}
}

// member counts a member's start or end.
func (fl *follower) member(ctx context.Context, run string, c feed.Change) {
	key := run + "/" + c.Path
	group := run + "/" + parentPath(c.Path)
	if c.Old == fleet.Running && c.New != fleet.Running {
		fl.m.running.DeleteLabelValues(c.FleetName(), c.RunName(), c.Name)
	}
	switch {
	case c.New == fleet.Running:
		fl.started[key] = c.Time
		fl.m.running.WithLabelValues(c.FleetName(), c.RunName(), c.Name).Set(float64(c.Time.Unix()))
		if q := fl.ended[group]; len(q) > 0 {
			fl.m.transition.Observe(c.Time.Sub(q[0]).Seconds())
			fl.ended[group] = q[1:]
		}
	case c.Old == fleet.Running && (c.New == fleet.Completed || c.New == fleet.Failed):
		result := "completed"
		if c.New == fleet.Failed {
			result = "failed"
		}
		typ := fl.upgradeType(ctx, run)
		fl.m.upgrades.WithLabelValues(typ, result).Inc()
		if at, ok := fl.started[key]; ok {
			fl.m.duration.WithLabelValues(typ, result).Observe(c.Time.Sub(at).Seconds())
			delete(fl.started, key)
		}
		fl.ended[group] = append(fl.ended[group], c.Time)
	}
}

// forget drops what is kept of a run that is no longer running.
func (fl *follower) forget(run string) {
	for k := range fl.ended {
		if len(k) > len(run) && k[:len(run)+1] == run+"/" {
			delete(fl.ended, k)
		}
	}
}

func (fl *follower) upgradeType(ctx context.Context, run string) string {
	if t, ok := fl.types[run]; ok {
		return string(t)
	}
	r, _, err := store.Load[fleet.UpdateRun](ctx, fl.store, store.Runs, run)
	if err != nil {
		return "unknown"
	}
	t := r.Properties.ManagedClusterUpdate.Upgrade.Type
	fl.types[run] = t
	return string(t)
}

func parentPath(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}
