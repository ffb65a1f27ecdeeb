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
// meanwhile back to the run, and writes a gate's end.
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
	case have.Properties.State.Finished():
		// Ended already; an approval is not undone by a skip.
		return nil
	}
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
