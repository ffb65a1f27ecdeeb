package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// syncGate brings a gate's resource in line with the run's record of the
// gate, which was written first: it creates the resource of a gate the
// run reached (the same id every time, so a crash between the run's write
// and this one leaves no duplicate), reports a resource that was completed
// meanwhile back to the run, and writes a gate's end, the run's word
// winning over an approval that came too late.
func (r *runner) syncGate(ctx context.Context, want *fleet.Gate) error {
	ctx, cancel := context.WithTimeout(ctx, saveTryTimeout)
	defer cancel()
	id := store.CanonicalID(want.ID)
	rec, err := r.e.cfg.Store.Get(ctx, store.Gates, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		now := r.e.cfg.Clock.Now()
		want.SystemData = &fleet.SystemData{CreatedBy: "caravan", CreatedByType: "Application", CreatedAt: &now, LastModifiedBy: "caravan", LastModifiedByType: "Application", LastModifiedAt: &now}
		return r.putGate(ctx, want, store.Precondition{IfNoneMatch: "*"})
	case err != nil:
		return fmt.Errorf("error reading gate %s: %w", want.Name, err)
	}
	have, err := store.Decode[fleet.Gate](rec)
	if err != nil {
		return err
	}
	switch {
	case have.Properties.State == want.Properties.State:
		return nil
	case have.Properties.State == fleet.Completed && want.Properties.State == fleet.Pending:
		r.mb.post(gateApproved{id: id})
		return nil
	case want.Properties.State == fleet.Pending:
		return nil
	}
	// The run ended the gate: its word is the gate's. A gate approved
	// just before its stage or group was skipped reads Skipped, as the
	// run does.
	now := r.e.cfg.Clock.Now()
	have.Properties.State = want.Properties.State
	if have.SystemData == nil {
		have.SystemData = &fleet.SystemData{}
	}
	have.SystemData.LastModifiedBy, have.SystemData.LastModifiedByType, have.SystemData.LastModifiedAt = "caravan", "Application", &now
	return r.putGate(ctx, have, store.Precondition{IfMatch: rec.ETag})
}

func (r *runner) putGate(ctx context.Context, g *fleet.Gate, cond store.Precondition) error {
	g.ETag = r.e.cfg.NewID()
	body, err := json.Marshal(g)
	if err != nil {
		return err
	}
	err = r.e.cfg.Store.Put(ctx, store.Record{Kind: store.Gates, ID: store.CanonicalID(g.ID), Parent: r.fleetID, ETag: g.ETag, State: string(g.Properties.State), Body: body}, cond)
	if err != nil {
		return fmt.Errorf("error writing gate %s: %w", g.Name, err)
	}
	return nil
}

// settleGates ends the Pending gate resources whose run already ended the
// gate: a crash can land between the run's write and its gate's, and a
// run that is not active has no runner to write it afterwards. Active
// runs write their own when their runners start.
func (e *Engine) settleGates(ctx context.Context) error {
	opts := store.ListOptions{Kind: store.Gates, States: []string{string(fleet.Pending)}, Limit: 500}
	for {
		page, err := e.cfg.Store.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("error listing pending gates: %w", err)
		}
		for _, rec := range page.Records {
			g, err := store.Decode[fleet.Gate](rec)
			if err != nil {
				continue
			}
			run, runRec, err := store.Load[fleet.UpdateRun](ctx, e.cfg.Store, store.Runs, store.CanonicalID(g.Properties.Target.ID))
			if err != nil || run.Properties.Status == nil {
				continue
			}
			switch fleet.State(runRec.State) {
			case fleet.Running, fleet.Pending, fleet.Stopping:
				continue
			}
			state, ok := gateState(run.Properties.Status, rec.ID)
			if !ok || !state.Finished() {
				continue
			}
			g.Properties.State = state
			g.ETag = e.cfg.NewID()
			body, err := json.Marshal(g)
			if err != nil {
				continue
			}
			next := rec
			next.ETag, next.State, next.Body = g.ETag, string(state), body
			if err := e.cfg.Store.Put(ctx, next, store.Precondition{IfMatch: rec.ETag}); err != nil && !errors.Is(err, store.ErrPreconditionFailed) {
				return fmt.Errorf("error writing gate %s: %w", g.Name, err)
			}
		}
		if page.Next == "" {
			return nil
		}
		opts.After = page.Next
	}
}

// gateState is the state a run's status shows for the gate with this
// (canonical) id.
func gateState(st *fleet.RunStatus, id string) (fleet.State, bool) {
	find := func(gs []fleet.GateStatus) (fleet.State, bool) {
		for _, g := range gs {
			if g.GateID != "" && store.CanonicalID(g.GateID) == id {
				return g.Status.State, true
			}
		}
		return "", false
	}
	for _, s := range st.Stages {
		for _, gs := range [][]fleet.GateStatus{s.BeforeGates, s.AfterGates} {
			if state, ok := find(gs); ok {
				return state, true
			}
		}
		for _, grp := range s.Groups {
			for _, gs := range [][]fleet.GateStatus{grp.BeforeGates, grp.AfterGates} {
				if state, ok := find(gs); ok {
					return state, true
				}
			}
		}
	}
	return "", false
}
