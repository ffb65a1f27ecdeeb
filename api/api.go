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
	// BaseURL is the scheme and host callers reach the API at, such as
	// https://caravan.example.com; list pages' nextLink links start with
	// it. Empty: the address of the listener the request came in on. The
	// Host header a caller sends is never used.
	BaseURL string
	// Principal names the caller of a request, for systemData.
	Principal func(*http.Request) string
	// Damage, if set, is told of every stored record found corrupt, and
	// of every record rewritten or deleted since.
	Damage *store.Damage
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
	shaped   shapedCache
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
	return &API{cfg: cfg, log: cfg.Logger, clusters: newClusterCache(cfg.Clusters, cfg.Store, cfg.NewID, cfg.Clock)}
}

// ServeHTTP gives the request its ids (see RequestIDs), checks that the
// path is canonical, matches it against the route table and serves it.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = setRequestIDs(w, r)
	if err := CheckPath(r); err != nil {
		WritePathError(w, err)
		return
	}
	rt, _ := Match(r)
	a.Serve(w, r, rt)
}

// Serve serves a request Match matched, after the caller has checked
// the path (CheckPath) and authorized the route's role: it checks the
// api-version and that the fleet of a child exists, and shapes the
// answer for that version.
func (a *API) Serve(w http.ResponseWriter, r *http.Request, m Route) {
	if !m.found {
		WriteError(w, http.StatusNotFound, "InvalidResourceType", "no Fleet API resource at "+r.URL.Path+"; see docs/api.md for the paths caravan serves")
		return
	}
	ver, err := checkAPIVersion(r.URL.Query().Get("api-version"))
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	if err := storable(r.URL.Path); err != nil {
		a.writeErr(w, r, err)
		return
	}
	if m.op == nil {
		methods := allowed(m.rt.kind())
		w.Header().Set("Allow", methods)
		WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+methods)
		return
	}
	if err := checkRouteVersion(m.rt, ver); err != nil {
		a.writeErr(w, r, err)
		return
	}
	r = r.WithContext(withShape(r.Context(), requestShape{version: ver, resource: bodyResource[m.rt.kind()]}))
	if m.rt.fleet != "" && m.rt.coll != "" {
		// Every request under a fleet's collections, whatever its method,
		// is ParentResourceNotFound when the fleet does not exist.
		if err := a.requireFleet(r.Context(), m.rt); err != nil {
			a.writeErr(w, r, err)
			return
		}
	}
	if removes(ver) {
		sw := &shapingWriter{ResponseWriter: w, version: ver}
		defer sw.finish(ver)
		w = sw
	}
	if err := m.op.serve(a, w, r, m.rt); err != nil {
		a.recordRefusal(r, m.rt, err)
		switch err := err.(type) {
		case errTooLarge:
			WriteError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", err.Error())
			return
		case errBodyTimeout:
			w.Header().Set("Connection", "close")
			WriteError(w, http.StatusRequestTimeout, "RequestTimeout", err.Error())
			return
		}
		a.writeErr(w, r, err)
	}
}

func (a *API) now() time.Time { return a.cfg.Clock.Now().UTC() }
