package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// Runs is what the API needs from the engine: the run commands, and
// whether a run is being driven.
type Runs interface {
	StartRun(ctx context.Context, id, ifMatch string) (*fleet.UpdateRun, error)
	StopRun(ctx context.Context, id, ifMatch string) (*fleet.UpdateRun, error)
	SkipRun(ctx context.Context, id string, targets []fleet.SkipTarget, ifMatch string) (*fleet.UpdateRun, error)
}

// Config is what the API works with.
type Config struct {
	Store store.Store
	Runs  Runs
	// Clusters checks that a member's cluster exists and reports what it
	// runs.
	Clusters cluster.Provider
	Clock    clock.Clock
	Logger   *slog.Logger
	// MaxBodyBytes caps request bodies (default 4 MiB); larger is a 413.
	MaxBodyBytes int64
	// PageSize is how many resources a list page holds (default 100).
	PageSize int
	// NewID makes ETags (default: random).
	NewID func() string
	// Principal names the caller of a request, for systemData.
	Principal func(*http.Request) string
	// Feed, if set, is told of the runs requests create and delete.
	Feed Publisher
	// Events, if set, serves the events of runs.
	Events Events
}

// API is the Fleet API handler.
type API struct {
	cfg      Config
	log      *slog.Logger
	clusters *clusterCache
}

// New returns the API handler.
func New(cfg Config) *API {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string {
			var b [12]byte
			rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
	}
	if cfg.Principal == nil {
		cfg.Principal = func(*http.Request) string { return "" }
	}
	return &API{cfg: cfg, log: cfg.Logger, clusters: newClusterCache(cfg.Clusters, cfg.Clock)}
}

// ServeHTTP routes a request to its handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		WriteError(w, http.StatusNotFound, "InvalidResourceType", "no Fleet API resource at "+r.URL.Path+"; see docs/api.md for the paths caravan serves")
		return
	}
	if err := checkAPIVersion(r.URL.Query().Get("api-version")); err != nil {
		a.writeErr(w, r, err)
		return
	}
	h := a.handler(rt, r.Method)
	if h == nil {
		w.Header().Set("Allow", a.allowed(rt))
		WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+a.allowed(rt))
		return
	}
	if err := h(w, r, rt); err != nil {
		if tl, ok := err.(errTooLarge); ok {
			WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", tl.Error())
			return
		}
		a.writeErr(w, r, err)
	}
}

type handlerFunc func(http.ResponseWriter, *http.Request, route) error

func (a *API) handler(rt route, method string) handlerFunc {
	switch {
	case rt.bySubscription || (rt.fleet == "" && rt.rg != ""):
		if method == http.MethodGet {
			return a.listFleets
		}
	case rt.action == "listCredentials":
		if method == http.MethodPost {
			return a.listCredentials
		}
	case rt.coll == "":
		return map[string]handlerFunc{
			http.MethodGet: a.getFleet, http.MethodPut: a.putFleet,
			http.MethodPatch: a.patchFleet, http.MethodDelete: a.deleteFleet,
		}[method]
	case rt.name == "":
		if method == http.MethodGet {
			return a.listChildren
		}
	case rt.action == "events":
		if method == http.MethodGet {
			return a.listEvents
		}
	case rt.action != "":
		if method == http.MethodPost {
			return a.runAction
		}
	case rt.coll == collMembers:
		return map[string]handlerFunc{
			http.MethodGet: a.getMember, http.MethodPut: a.putMember,
			http.MethodPatch: a.patchMember, http.MethodDelete: a.deleteMember,
		}[method]
	case rt.coll == collStrategies:
		return map[string]handlerFunc{
			http.MethodGet: a.getStrategy, http.MethodPut: a.putStrategy, http.MethodDelete: a.deleteStrategy,
		}[method]
	case rt.coll == collRuns:
		return map[string]handlerFunc{
			http.MethodGet: a.getRun, http.MethodPut: a.putRun, http.MethodDelete: a.deleteRun,
		}[method]
	}
	return nil
}

func (a *API) allowed(rt route) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost} {
		if a.handler(rt, m) != nil {
			out = append(out, m)
		}
	}
	s := ""
	for i, m := range out {
		if i > 0 {
			s += ", "
		}
		s += m
	}
	return s
}

func (a *API) now() time.Time { return a.cfg.Clock.Now().UTC() }
