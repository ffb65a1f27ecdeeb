package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runview"
	"github.com/caravan-dev/caravan/store"
)

// StreamPath is where a run's live view is served; the run is named by
// its ARM id in the run query parameter.
const StreamPath = "/ui/stream"

// Config configures the dashboard's stream.
type Config struct {
	Store store.Store
	// Feed tells of every persisted change of a run.
	Feed   *feed.Feed
	Clock  clock.Clock
	Logger *slog.Logger
	// KeepAlive is how often an idle stream sends a comment, so proxies
	// keep it open; default 15s.
	KeepAlive time.Duration
}

// streamBuffer is how many changes a stream's subscription holds unread;
// a stream behind by more reads the run afresh, which it does for every
// change anyway.
const streamBuffer = 64

// Stream serves server-sent events from the feed. With ?run={run id}:
// an event named "run" with the run's view (runview.View as JSON) at
// once, then again after every change of the run, and "gone" if it is
// deleted. With ?fleet={fleet id}: an event named "changed" at once and
// after every change of any of the fleet's runs. Streams last until the
// client goes away or Close. Mount it behind authentication: it needs
// the reader role, as reading runs does.
type Stream struct {
	cfg       Config
	views     views
	closing   chan struct{}
	closeOnce sync.Once
}

// NewStream returns the stream handler.
func NewStream(cfg Config) *Stream {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	return &Stream{cfg: cfg, closing: make(chan struct{})}
}

// Close ends every stream being served, and those that start later at
// once, so that a server shutting down does not wait for browsers to go
// away (http.Server.RegisterOnShutdown is the place to call it). A browser
// whose stream ends this way reconnects, to the next server.
func (s *Stream) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" "+StreamPath+" is not served; use GET")
		return
	}
	q := r.URL.Query()
	switch {
	case q.Has("run"):
		s.serveRun(w, r, q.Get("run"))
	case q.Has("fleet"):
		s.serveFleet(w, r, q.Get("fleet"))
	default:
		writeError(w, http.StatusBadRequest, "MissingParameter", "name what to follow: ?run={update run id} or ?fleet={fleet id}")
	}
}

// event is one server-sent event; end says the stream ends after it.
type event struct {
	name string
	data []byte
	end  bool
}

// serveRun streams the view of one run.
func (s *Stream) serveRun(w http.ResponseWriter, r *http.Request, id string) {
	if !isRunID(id) {
		writeError(w, http.StatusBadRequest, "InvalidRunID", fmt.Sprintf("the run query parameter %q is not an update run's id; use /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets/{f}/updateRuns/{r}", id))
		return
	}
	// Subscribe before the first read, so no change falls between them.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	changes := s.cfg.Feed.Subscribe(ctx, feed.Filter{RunID: id, Buffer: streamBuffer}).C
	view, err := s.view(r.Context(), id)
	if err != nil {
		s.fail(w, "update run", id, err)
		return
	}
	first := event{name: "run", data: view}
	s.stream(w, r, changes, first, func(ctx context.Context, _ feed.Change) (event, error) {
		view, err := s.view(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return event{name: "gone", data: mustJSON(map[string]string{"message": "update run " + id + " was deleted"}), end: true}, nil
		case err != nil:
			return event{}, err
		}
		return event{name: "run", data: view}, nil
	})
}

// serveFleet tells when any run of a fleet changes, with an event named
// "changed", at once and after every change (naming the run that changed
// last), so a page listing the fleet's runs reads them again.
func (s *Stream) serveFleet(w http.ResponseWriter, r *http.Request, id string) {
	if !isFleetID(id) {
		writeError(w, http.StatusBadRequest, "InvalidFleetID", fmt.Sprintf("the fleet query parameter %q is not a fleet's id; use /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets/{f}", id))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	changes := s.cfg.Feed.Subscribe(ctx, feed.Filter{FleetID: id, Buffer: streamBuffer}).C
	if _, err := s.cfg.Store.Get(r.Context(), store.Fleets, store.CanonicalID(id)); err != nil {
		s.fail(w, "fleet", id, err)
		return
	}
	first := event{name: "changed", data: mustJSON(map[string]string{"fleet": id})}
	s.stream(w, r, changes, first, func(_ context.Context, last feed.Change) (event, error) {
		return event{name: "changed", data: mustJSON(map[string]string{"fleet": id, "run": last.RunID})}, nil
	})
}

// stream sends first, then the event next returns after each batch of
// changes (given the batch's last change), and a comment now and then while idle, until the client goes,
// the server closes the stream or an event ends it.
func (s *Stream) stream(w http.ResponseWriter, r *http.Request, changes <-chan feed.Change, first event, next func(ctx context.Context, last feed.Change) (event, error)) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := send(w, first); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		s.cfg.Logger.Warn("dashboard stream: this server cannot stream responses", "error", err)
		return
	}
	keepAlive := make(chan struct{}, 1)
	var timer clock.Timer
	arm := func() {
		timer = s.cfg.Clock.AfterFunc(s.cfg.KeepAlive, func() {
			select {
			case keepAlive <- struct{}{}:
			default:
			}
		})
	}
	arm()
	defer func() { timer.Stop() }()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-keepAlive:
			arm()
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case last, ok := <-changes:
			if !ok {
				return
			}
			// One event stands for every change already queued: it
			// shows things as they are now.
			for drained := false; !drained; {
				select {
				case c, ok := <-changes:
					if !ok {
						return
					}
					last = c
				default:
					drained = true
				}
			}
			ev, err := next(r.Context(), last)
			if err != nil {
				if r.Context().Err() == nil {
					s.cfg.Logger.Warn("dashboard stream: error reading what changed", "path", r.URL.Path, "error", err)
				}
				return
			}
			if err := send(w, ev); err != nil {
				return
			}
			if ev.end {
				rc.Flush()
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func send(w io.Writer, ev event) error {
	_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data)
	return err
}

// view returns the view of a run as JSON: the one kept, when the run did
// not change and it is recent, else made afresh and kept.
func (s *Stream) view(ctx context.Context, id string) ([]byte, error) {
	rec, _, err := store.GetShared(ctx, s.cfg.Store, store.Runs, store.CanonicalID(id))
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	if data, ok := s.views.get(rec.ID, rec.ETag, now); ok {
		return data, nil
	}
	run, err := store.Decode[fleet.UpdateRun](rec)
	if err != nil {
		return nil, store.Blame(err, s.cfg.Store)
	}
	data := mustJSON(runview.Of(run, now))
	s.views.put(rec.ID, rec.ETag, now, data)
	return data, nil
}

func (s *Stream) fail(w http.ResponseWriter, what, id string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "ResourceNotFound", what+" "+id+" does not exist")
		return
	}
	s.cfg.Logger.Warn("dashboard stream: error reading "+what, "id", id, "error", err)
	writeError(w, http.StatusInternalServerError, "InternalError", "error reading "+what+" "+id+"; see the server's log")
}

// isFleetID reports whether id has the shape of a fleet's ARM id.
func isFleetID(id string) bool {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	return len(seg) == 8 && strings.HasPrefix(id, "/") &&
		strings.EqualFold(seg[0], "subscriptions") && seg[1] != "" &&
		strings.EqualFold(seg[2], "resourceGroups") && seg[3] != "" &&
		strings.EqualFold(seg[4], "providers") && strings.EqualFold(seg[5], "Microsoft.ContainerService") &&
		strings.EqualFold(seg[6], "fleets") && seg[7] != ""
}

// isRunID reports whether id has the shape of an update run's ARM id.
func isRunID(id string) bool {
	seg := strings.Split(strings.Trim(id, "/"), "/")
	return len(seg) == 10 && strings.HasPrefix(id, "/") &&
		strings.EqualFold(seg[0], "subscriptions") && seg[1] != "" &&
		strings.EqualFold(seg[2], "resourceGroups") && seg[3] != "" &&
		strings.EqualFold(seg[4], "providers") && strings.EqualFold(seg[5], "Microsoft.ContainerService") &&
		strings.EqualFold(seg[6], "fleets") && seg[7] != "" &&
		strings.EqualFold(seg[8], "updateRuns") && seg[9] != ""
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // views are plain data
	}
	return b
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
