package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/web"
	"github.com/caravan-dev/caravan/webhook"
)

// routes serves the health endpoints, the metrics (unless they need a
// token) and the dashboard's page openly, and everything else behind
// authentication: the Fleet API, the dashboard's live stream, and the
// hosted simulated cloud's paths.
func (s *Server) routes(fleetAPI http.Handler, tokens *auth.Tokens, metricsHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeHealth(w, http.StatusOK, "ok", "")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := s.Store.Get(ctx, store.Fleets, "/readyz"); err != nil && err != store.ErrNotFound {
			writeHealth(w, http.StatusServiceUnavailable, "unavailable", "store: "+err.Error())
			return
		}
		writeHealth(w, http.StatusOK, "ok", "")
	})
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			// Who causes the changes a request makes, for the feed.
			r = r.WithContext(feed.WithCaller(r.Context(), feed.Caller{Name: p.Name, Role: p.Role.String()}))
		}
		switch {
		case api.Owns(r):
			fleetAPI.ServeHTTP(w, r)
		case r.URL.Path == webhook.DeliveriesPath && s.events != nil && r.Method == http.MethodGet:
			webhook.DeliveriesHandler(s.Store.(store.EventLog)).ServeHTTP(w, r)
		case s.Cloud != nil && s.Cloud.Owns(r):
			s.Cloud.ServeHTTP(w, r)
		default:
			api.WriteError(w, http.StatusNotFound, "NotFound", "nothing is served at "+r.URL.Path+"; see docs/api.md")
		}
	})
	mux.Handle("/", auth.Middleware(tokens, protected))
	// The dashboard: its page and files are open (they hold no data), its
	// live stream needs a token like the API.
	dashboard := web.Assets()
	mux.Handle("GET /{$}", dashboard)
	mux.Handle("GET "+web.AssetPrefix, dashboard)
	s.dashboard = web.NewStream(web.Config{Store: s.Store, Feed: s.Feed, Logger: s.log})
	mux.Handle("GET "+web.StreamPath, auth.Middleware(tokens, s.dashboard))
	return logRequests(s, mux)
}

func writeHealth(w http.ResponseWriter, status int, state, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]string{"status": state}
	if detail != "" {
		body["detail"] = detail
	}
	json.NewEncoder(w).Encode(body)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection, so streamed
// responses (the dashboard's live stream) can flush.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logRequests logs each request's method, path, status and duration at
// debug level, and failures at warn. Headers (and so tokens) are never
// logged.
func logRequests(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := s.logLevel(rec.status)
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}
