package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// applied is the status of a fleet or member that the request is
// writing: its id as the last operation, with no error.
func applied(ctx context.Context) *fleet.OperationStatus {
	return &fleet.OperationStatus{LastOperationID: RequestID(ctx)}
}

// recordRefusal notes on an existing fleet or member that a write to it
// was refused for the resource's state (409) or because caravan could not
// complete it (503): its status then names the request and its error, as
// Fleet's lastOperationError does. Writes refused for the request itself
// (400, 412) never reached the resource and are not recorded. The note is
// a write of its own, under a new ETag, made only if the resource has not
// changed since it was read.
func (a *API) recordRefusal(r *http.Request, rt route, err error) {
	id := RequestID(r.Context())
	if id == "" || r.Method == http.MethodGet {
		return
	}
	var fe *fleet.Error
	var detail fleet.ErrorDetail
	switch {
	case errors.As(err, &fe) && fe.Kind == fleet.KindConflict:
		detail = fleet.ErrorDetail{Code: fe.Code, Message: fe.Message, Target: fe.Field}
	case errors.As(err, new(*unavailableError)), errors.As(err, new(retryLater)):
		detail = fleet.ErrorDetail{Code: "ServiceUnavailable", Message: err.Error()}
	default:
		return
	}
	// The request may be canceled; the note is still worth writing.
	ctx := context.WithoutCancel(r.Context())
	status := &fleet.OperationStatus{LastOperationID: id, LastOperationError: &detail}
	switch rt.kind() {
	case kindFleet:
		rec, err := a.cfg.Store.Get(ctx, store.Fleets, store.CanonicalID(rt.fleetID()))
		if err != nil {
			return
		}
		f, err := store.Decode[fleet.Fleet](rec)
		if err != nil {
			return
		}
		f.Properties.Status = status
		a.noteRefusal(ctx, rec, f, func(e string) { f.ETag = e })
	case kindMember:
		rec, err := a.cfg.Store.Get(ctx, store.Members, store.CanonicalID(rt.childID()))
		if err != nil {
			return
		}
		m, err := store.Decode[fleet.Member](rec)
		if err != nil {
			return
		}
		m.Properties.Status = status
		a.noteRefusal(ctx, rec, m, func(e string) { m.ETag = e })
	}
}

func (a *API) noteRefusal(ctx context.Context, rec store.Record, v any, setTag func(string)) {
	if _, err := a.save(ctx, rec.Kind, rec.ID, rec.Parent, rec.State, v, setTag, store.Precondition{IfMatch: rec.ETag}); err != nil {
		a.log.Debug("cannot note a refused write on the resource", "id", rec.ID, "error", err)
	}
}
