package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

var activeStates = []string{string(fleet.Running), string(fleet.Pending), string(fleet.Stopping)}

func (a *API) getRun(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, checked, err := a.loadShared(r.Context(), store.Runs, rt.childID(), "update run "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	return a.respondStored(w, http.StatusOK, rec, checked)
}

// putRun creates a run (or changes one that has not started): it copies
// the stages of the strategy it names, checks everything, and freezes the
// fleet's members into the run's status tree.
func (a *API) putRun(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := fleet.ValidateName("name", rt.name, fleet.MaxNameLength); err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in fleet.UpdateRun
	if err := decode(body, &in); err != nil {
		return err
	}
	ctx := r.Context()
	old, exists, err := a.exists(ctx, store.Runs, rt.childID())
	if err != nil {
		return err
	}
	p := in.Properties
	run := fleet.UpdateRun{ID: rt.childID(), Name: rt.name, Type: fleet.TypeUpdateRun}
	var prev *fleet.SystemData
	if exists {
		was, err := store.Decode[fleet.UpdateRun](old)
		if err != nil {
			return err
		}
		if st := was.Properties.Status; st != nil && st.Status.State != fleet.NotStarted {
			if !unchangedRun(was.Properties, p) {
				return fleet.Conflict("update run %s is %s; its strategy and managedClusterUpdate can change only while it is NotStarted; create a new run for a different update", rt.name, st.Status.State)
			}
			// ARM clients send resources again unchanged: that is not a
			// change, so it answers with the run as it is.
			if cond := precondition(r); !store.Check(cond, true, old.ETag) {
				return preconditionError(cond)
			}
			return respond(w, http.StatusOK, old)
		}
		run.ID, prev = was.ID, was.SystemData
	} else if p.UpdateStrategyID != "" && p.Strategy != nil {
		return fleet.Invalid("properties.updateStrategyId", "set either updateStrategyId or strategy, not both")
	}
	if run.Properties, err = a.runProperties(ctx, rt, p, nil); err != nil {
		return err
	}
	run.SystemData = a.stamp(r, prev)
	cond := precondition(r)
	if exists && cond.IfMatch == "" {
		// The run may have started since it was read above.
		cond.IfMatch = old.ETag
	}
	rec, err := a.save(ctx, store.Runs, run.ID, rt.fleetID(), string(fleet.NotStarted), &run, func(e string) { run.ETag = e }, cond)
	if err != nil {
		return err
	}
	if !exists {
		a.publishRun(r, run.ID, rt.fleetID(), "", feed.Created, rec.ETag)
	} else {
		a.wroteRun(run.ID, rec.ETag)
	}
	return respond(w, created(!exists), rec)
}

// runProperties is the one path by which a run comes to be, from a PUT or
// from an auto-upgrade profile: it copies the stages of the strategy the
// run names, checks everything, freezes the fleet's members into the
// run's status tree and checks that its version is offered. skip, when
// set, says why a member is to be left alone; such members start
// Skipped with that message.
func (a *API) runProperties(ctx context.Context, rt route, p fleet.UpdateRunProperties, skip map[string]string) (fleet.UpdateRunProperties, error) {
	strategy := p.Strategy
	var err error
	if p.UpdateStrategyID != "" && strategy == nil {
		if strategy, err = a.strategyFor(ctx, rt, p.UpdateStrategyID); err != nil {
			return p, err
		}
	}
	if strategy != nil {
		if err := fleet.ValidateStrategy("properties.strategy", strategy); err != nil {
			return p, err
		}
	}
	if err := fleet.ValidateUpdate("properties.managedClusterUpdate", p.ManagedClusterUpdate); err != nil {
		return p, err
	}
	members, err := a.members(ctx, rt.fleetID())
	if err != nil {
		return p, err
	}
	status, err := fleet.NewRunStatus(strategy, members)
	if err != nil {
		return p, err
	}
	if err := oneMemberPerCluster(status); err != nil {
		return p, err
	}
	if len(skip) > 0 {
		skipMembers(status, skip)
	}
	if err := a.checkOffered(ctx, p.ManagedClusterUpdate, status); err != nil {
		return p, err
	}
	return fleet.UpdateRunProperties{
		ProvisioningState:    fleet.ProvisioningSucceeded,
		UpdateStrategyID:     p.UpdateStrategyID,
		AutoUpgradeProfileID: p.AutoUpgradeProfileID,
		Strategy:             strategy,
		ManagedClusterUpdate: p.ManagedClusterUpdate,
		Status:               status,
	}, nil
}

// strategyFor copies the stages of the strategy a run names, which must be
// in the run's fleet.
func (a *API) strategyFor(ctx context.Context, rt route, id string) (*fleet.RunStrategy, error) {
	const field = "properties.updateStrategyId"
	ref, coll, name, err := fleet.ParseFleetChildID(id)
	if err != nil || !strings.EqualFold(coll, collStrategies) {
		return nil, fleet.Invalid(field, "%q is not the id of an update strategy: want %s/updateStrategies/{name}", id, rt.fleetID())
	}
	if !strings.EqualFold(ref.ID(), rt.fleetID()) {
		return nil, fleet.Invalid(field, "update strategy %s belongs to another fleet; a run can only use a strategy of its own fleet, %s", name, rt.fleet)
	}
	s, _, err := store.Load[fleet.UpdateStrategy](ctx, a.cfg.Store, store.Strategies, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fleet.Invalid(field, "update strategy %s does not exist in fleet %s; create it first or give the stages in properties.strategy", name, rt.fleet)
		}
		return nil, err
	}
	strategy := s.Properties.Strategy
	return &strategy, nil
}

// members reads every member of a fleet.
func (a *API) members(ctx context.Context, fleetID string) ([]fleet.Member, error) {
	var out []fleet.Member
	opts := store.ListOptions{Kind: store.Members, Parent: store.CanonicalID(fleetID), Limit: 1000}
	for {
		page, err := a.cfg.Store.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			m, err := store.Decode[fleet.Member](rec)
			if err != nil {
				return nil, err
			}
			out = append(out, *m)
		}
		if page.Next == "" {
			return out, nil
		}
		opts.After = page.Next
	}
}

// oneMemberPerCluster refuses a run in which two members name one cluster,
// which would upgrade it twice.
func oneMemberPerCluster(st *fleet.RunStatus) error {
	seen := map[string]string{}
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				c := fleet.ClusterKey(m.ClusterResourceID)
				if other, dup := seen[c]; dup {
					return fleet.Invalid("properties", "members %s and %s both name cluster %s; remove one of them from the fleet or from the run's groups", other, m.Name, m.ClusterResourceID)
				}
				seen[c] = m.Name
			}
		}
	}
	return nil
}

// activeRuns returns the ids of a fleet's runs that are Running, Pending
// or Stopping.
func (a *API) activeRuns(ctx context.Context, fleetID string) ([]string, error) {
	var out []string
	opts := store.ListOptions{Kind: store.Runs, Parent: store.CanonicalID(fleetID), States: activeStates, Limit: 500}
	for {
		page, err := a.cfg.Store.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, rec := range page.Records {
			out = append(out, rec.ID)
		}
		if page.Next == "" {
			return out, nil
		}
		opts.After = page.Next
	}
}

func (a *API) deleteRun(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, ok, err := a.exists(r.Context(), store.Runs, rt.childID())
	if err != nil {
		return err
	}
	if ok {
		for _, s := range activeStates {
			if rec.State == s {
				return fleet.Conflict("update run %s is %s; stop it and wait until it is Stopped before deleting it", rt.name, rec.State)
			}
		}
		a.awaitPublished(r.Context(), rec.ID, rec.ETag)
	}
	if err := a.remove(w, r, store.Runs, rt.childID()); err != nil || !ok {
		return err
	}
	a.publishRun(r, rt.childID(), rt.fleetID(), fleet.State(rec.State), feed.Deleted, "")
	if err := a.removeGatesOf(r.Context(), rt); err != nil {
		// The run is gone; its gates go with the fleet at the latest.
		a.log.Warn("cannot remove the gates of a deleted update run", "run", rt.childID(), "error", err)
	}
	if c, ok := a.cfg.Store.(store.Claimer); ok {
		// Claims of a run that is gone lapse anyway; remove the rows.
		if err := c.ReleaseClaims(r.Context(), rt.childID(), math.MaxInt64); err != nil {
			a.log.Warn("cannot release the cluster claims of a deleted update run", "run", rt.childID(), "error", err)
		}
	}
	return nil
}

// removeGatesOf deletes the gates a deleted run had created.
func (a *API) removeGatesOf(ctx context.Context, rt route) error {
	runID := store.CanonicalID(rt.childID())
	opts := store.ListOptions{Kind: store.Gates, Parent: store.CanonicalID(rt.fleetID()), Limit: 500}
	for {
		page, err := a.cfg.Store.List(ctx, opts)
		if err != nil {
			return err
		}
		for _, rec := range page.Records {
			var g fleet.Gate
			if err := json.Unmarshal(rec.Body, &g); err != nil {
				continue
			}
			if store.CanonicalID(g.Properties.Target.ID) != runID {
				continue
			}
			if err := a.cfg.Store.Delete(ctx, store.Gates, rec.ID, store.Precondition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// runAction handles start, stop and skip.
func (a *API) runAction(w http.ResponseWriter, r *http.Request, rt route) error {
	if a.cfg.Runs == nil {
		return unavailable("this server does not execute update runs")
	}
	ctx := r.Context()
	ifMatch := unquote(r.Header.Get("If-Match"))
	var run *fleet.UpdateRun
	var err error
	switch rt.action {
	case "start":
		if err := a.checkStart(ctx, rt); err != nil {
			return err
		}
		run, err = a.cfg.Runs.StartRun(ctx, rt.childID(), ifMatch)
	case "stop":
		run, err = a.cfg.Runs.StopRun(ctx, rt.childID(), ifMatch)
	case "skip":
		body, rerr := a.readBody(w, r)
		if rerr != nil {
			return rerr
		}
		var in fleet.SkipProperties
		if err := decode(body, &in); err != nil {
			return err
		}
		run, err = a.cfg.Runs.SkipRun(ctx, rt.childID(), in.Targets, ifMatch)
	default:
		return fmt.Errorf("unknown action %q", rt.action)
	}
	if err != nil {
		return err
	}
	setETag(w, run.ETag)
	writeJSON(w, http.StatusOK, run)
	return nil
}

// unchangedRun reports whether a PUT body asks for the run a run already
// is: the same update, and the same strategy (or none, when the run names
// the strategy it copied).
func unchangedRun(was, in fleet.UpdateRunProperties) bool {
	if in.UpdateStrategyID != "" && !strings.EqualFold(store.CanonicalID(in.UpdateStrategyID), store.CanonicalID(was.UpdateStrategyID)) {
		return false
	}
	if in.Strategy != nil && !sameJSON(in.Strategy, was.Strategy) {
		return false
	}
	if in.Strategy == nil && in.UpdateStrategyID == "" && was.Strategy != nil && was.UpdateStrategyID == "" {
		return false
	}
	a, b := in.ManagedClusterUpdate, was.ManagedClusterUpdate
	if a.Upgrade != b.Upgrade || a.SelectionType() != b.SelectionType() {
		return false
	}
	var ac, bc []fleet.NodeImageVersion
	if a.NodeImageSelection != nil {
		ac = a.NodeImageSelection.CustomNodeImageVersions
	}
	if b.NodeImageSelection != nil {
		bc = b.NodeImageSelection.CustomNodeImageVersions
	}
	return (len(ac) == 0 && len(bc) == 0) || sameJSON(ac, bc)
}

// sameJSON compares two values by their JSON encodings, so that a nil and
// an empty list, both omitted, count as equal.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// skipMembers marks members Skipped before a run starts, with why.
func skipMembers(st *fleet.RunStatus, why map[string]string) {
	for i := range st.Stages {
		for j := range st.Stages[i].Groups {
			g := &st.Stages[i].Groups[j]
			for k := range g.Members {
				if reason, ok := why[g.Members[k].Name]; ok {
					g.Members[k].Status.State = fleet.Skipped
					g.Members[k].Message = reason
				}
			}
		}
	}
}
