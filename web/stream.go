package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Stream serves a run's live view as server-sent events: an event named
// "run" with the run's view (runview.View as JSON) at once, then again
// after every change of the run, until the client goes away. Mount it
// behind authentication: it needs the reader role, as reading the run
// does.
type Stream struct {
	cfg       Config
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
	id := r.URL.Query().Get("run")
	if !isRunID(id) {
		writeError(w, http.StatusBadRequest, "InvalidRunID", fmt.Sprintf("the run query parameter %q is not an update run's id; use /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets/{f}/updateRuns/{r}", id))
		return
	}
	// Subscribe before the first read, so no change falls between them.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	changes := s.cfg.Feed.Subscribe(ctx, feed.Filter{RunID: id, Buffer: streamBuffer}).C
	run, err := s.load(r.Context(), id)
	if err != nil {
		s.fail(w, id, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := s.send(w, run); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		s.cfg.Logger.Warn("dashboard stream: this server cannot stream responses", "error", err)
		return
	}
	keepAlive := make(chan struct{}, 1)
	var timer clock.Timer
	var arm func()
	arm = func() {
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
		case _, ok := <-changes:
			if !ok {
				return
			}
			// One read of the run stands for every change already
			// queued: the view shows the run as it is now.
			for drained := false; !drained; {
				select {
				case _, ok = <-changes:
					if !ok {
						return
					}
				default:
					drained = true
				}
			}
			run, err := s.load(r.Context(), id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				fmt.Fprintf(w, "event: gone\ndata: %s\n\n", mustJSON(map[string]string{"message": "update run " + id + " was deleted"}))
				rc.Flush()
				return
			case err != nil:
				if r.Context().Err() == nil {
					s.cfg.Logger.Warn("dashboard stream: error reading the run", "run", id, "error", err)
				}
				return
			}
			if err := s.send(w, run); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func (s *Stream) load(ctx context.Context, id string) (*fleet.UpdateRun, error) {
	run, _, err := store.Load[fleet.UpdateRun](ctx, s.cfg.Store, store.Runs, id)
	return run, err
}

func (s *Stream) send(w http.ResponseWriter, run *fleet.UpdateRun) error {
	_, err := fmt.Fprintf(w, "event: run\ndata: %s\n\n", mustJSON(runview.Of(run, s.cfg.Clock.Now())))
	return err
}

func (s *Stream) fail(w http.ResponseWriter, id string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "update run "+id+" does not exist; list the fleet's runs with caravan updaterun list")
		return
	}
	s.cfg.Logger.Warn("dashboard stream: error reading the run", "run", id, "error", err)
	writeError(w, http.StatusInternalServerError, "InternalError", "error reading update run "+id+"; see the server's log")
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
