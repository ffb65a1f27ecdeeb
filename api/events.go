package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// Events is what the API needs of the event log: a run's events in order,
// and a signal when more are recorded.
type Events interface {
	List(ctx context.Context, runID string, after int64, limit int) ([]store.Event, error)
	Changed() <-chan struct{}
}

// maxEventWait bounds waitSeconds.
const maxEventWait = 60

// listEvents serves GET .../updateRuns/{r}/events, caravan's extension:
// the run's CloudEvents in order, a page at a time. $skipToken is the
// sequence of the last event seen; waitSeconds (up to 60) waits for the
// next events when there are none yet, so a client can follow a run.
func (a *API) listEvents(w http.ResponseWriter, r *http.Request, rt route) error {
	if a.cfg.Events == nil {
		return unavailable("this server does not record events")
	}
	q := r.URL.Query()
	limit := a.cfg.PageSize
	if top := q.Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 {
			return fleet.Invalid("$top", "%q is not a page size: use a whole number of at least 1", top)
		}
		limit = min(n, 1000)
	}
	var after int64
	if tok := q.Get("$skipToken"); tok != "" {
		n, err := strconv.ParseInt(tok, 10, 64)
		if err != nil || n < 0 {
			return fleet.Invalid("$skipToken", "%q is not an event sequence: use the sequence of the last event seen, or leave $skipToken out to start from the first", tok)
		}
		after = n
	}
	var wait time.Duration
	if ws := q.Get("waitSeconds"); ws != "" {
		n, err := strconv.Atoi(ws)
		if err != nil || n < 0 || n > maxEventWait {
			return fleet.Invalid("waitSeconds", "%q is not a wait: use a whole number of seconds from 0 to %d", ws, maxEventWait)
		}
		wait = time.Duration(n) * time.Second
	}
	ctx := r.Context()
	if after == 0 {
		// A run deleted keeps its events until they are pruned; a run
		// that never was has none.
		if _, err := a.cfg.Store.Get(ctx, store.Runs, store.CanonicalID(rt.childID())); errors.Is(err, store.ErrNotFound) {
			evs, lerr := a.cfg.Events.List(ctx, rt.childID(), 0, 1)
			if lerr != nil {
				return lerr
			}
			if len(evs) == 0 {
				return fleet.NotFound("update run %s of fleet %s not found", rt.name, rt.fleet)
			}
		} else if err != nil {
			return err
		}
	}
	var deadline chan struct{}
	if wait > 0 {
		deadline = make(chan struct{})
		t := a.cfg.Clock.AfterFunc(wait, func() { close(deadline) })
		defer t.Stop()
	}
	var evs []store.Event
	for {
		changed := a.cfg.Events.Changed()
		var err error
		if evs, err = a.cfg.Events.List(ctx, rt.childID(), after, limit); err != nil {
			return err
		}
		if len(evs) > 0 || deadline == nil {
			break
		}
		select {
		case <-changed:
			continue
		case <-deadline:
		case <-ctx.Done():
			return ctx.Err()
		}
		break
	}
	out := listPage{Value: make([]json.RawMessage, 0, len(evs))}
	for _, e := range evs {
		out.Value = append(out.Value, events.WithSequence(e.Body, e.Seq))
	}
	if len(evs) == limit {
		next := url.Values{}
		for k, v := range q {
			if k != "$skipToken" {
				next[k] = v
			}
		}
		next.Set("$skipToken", strconv.FormatInt(evs[len(evs)-1].Seq, 10))
		out.NextLink = baseURL(r) + r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
