package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// CodeStoredRunUnreadable is the error code of a run the engine found
// active in the store but could not read, and marked Failed.
const CodeStoredRunUnreadable = "StoredRunUnreadable"

// markUnreadable records that an active run's stored document does not
// decode, in place of the document: the run becomes Failed with an
// error that says so, and the state the store lists it by becomes
// Failed, so that it is neither left Running with no one driving it nor
// resumed from a document nobody can read. The unreadable document is
// kept, base64-encoded, in the error's details, for whoever repairs it.
// The write is conditional on the record being unchanged since it was
// read.
func (e *Engine) markUnreadable(ctx context.Context, rec store.Record, cause *store.CorruptError) error {
	_, _, name, err := fleet.ParseFleetChildID(rec.ID)
	if err != nil {
		name = rec.ID
	}
	run := fleet.UpdateRun{
		ID:   rec.ID,
		Name: name,
		Type: fleet.TypeUpdateRun,
		Properties: fleet.UpdateRunProperties{
			ProvisioningState: "Failed",
			Status: &fleet.RunStatus{
				Status: fleet.UpdateStatus{State: fleet.Failed, Error: &fleet.ErrorDetail{
					Code: CodeStoredRunUnreadable,
					Message: fmt.Sprintf("caravan could not read this update run, which was %s, from %s (%v), and stopped driving it; "+
						"upgrades it had begun may still be running in the cloud: check the clusters, then restore the store from a backup or delete this run and create a new one",
						rec.State, cause.Store, cause.Err),
					Details: []fleet.ErrorDetail{{Code: "UnreadableDocument", Message: base64.StdEncoding.EncodeToString(rec.Body)}},
				}},
				Stages: []fleet.StageStatus{},
			},
		},
	}
	etag := e.cfg.NewID()
	run.ETag = etag
	body, err := json.Marshal(run)
	if err != nil {
		return err
	}
	marked := store.Record{Kind: store.Runs, ID: rec.ID, Parent: rec.Parent, ETag: etag, State: string(fleet.Failed), Body: body}
	if err := e.cfg.Store.Put(ctx, marked, store.Precondition{IfMatch: rec.ETag}); err != nil {
		return fmt.Errorf("error marking update run %s Failed: %w", rec.ID, err)
	}
	if e.cfg.Persisted != nil {
		e.cfg.Persisted(marked)
	}
	return nil
}

// resume starts a runner for an active run the store listed, or marks it
// Failed when its document does not decode.
func (e *Engine) resume(ctx context.Context, rec store.Record) {
	_, err := e.runnerFor(ctx, rec.ID)
	var ce *store.CorruptError
	if !errors.As(err, &ce) {
		if err != nil {
			e.log.Error("cannot resume update run", "run", rec.ID, "error", err)
		}
		return
	}
	e.cfg.Damage.Report(ce)
	e.log.Error("update run does not decode; marking it Failed", "run", rec.ID, "error", ce)
	if err := e.markUnreadable(ctx, rec, ce); err != nil {
		e.log.Error("cannot mark unreadable update run", "run", rec.ID, "error", err)
	}
}
