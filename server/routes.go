package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
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
// authentication: the Fleet API, the webhook deliveries, the dashboard's
// live stream, and the hosted simulated cloud's paths.
// There is no http.ServeMux in front: it would clean a path such as
// ".../members/.." and redirect the request to the fleet. A path that is
// not canonical is answered 400 instead, for every method.
func (s *Server) routes(fleetAPI *api.API, tokens *auth.Tokens, metricsHandler http.Handler) http.Handler {
	// The dashboard: its page and files are open (they hold no data), its
	// live stream needs a token like the API.
	dashboard := web.Assets()
	s.dashboard = web.NewStream(web.Config{Store: s.Store, Feed: s.Feed, Logger: s.log})
	return logRequests(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				writeHealth(w, http.StatusOK, "ok", "")
				return
			}
		case "/metrics":
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				metricsHandler.ServeHTTP(w, r)
				return
			}
		case "/readyz":
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				s.ready(w, r, tokens)
				return
			}
		}
		if err := api.CheckPath(r); err != nil {
			refusePath(w, r, err)
			return
		}
		switch {
		case r.URL.Path == web.StreamPath:
			if r, ok := auth.Authorize(tokens, w, r, auth.Reader, "follow the dashboard's live stream"); ok {
				if r.Method != http.MethodGet {
					w.Header().Set("Allow", http.MethodGet)
					api.WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path+"; use GET")
					return
				}
				s.dashboard.ServeHTTP(w, r)
			}
			return
		case (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, web.AssetPrefix)) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			dashboard.ServeHTTP(w, r)
			return
		}
		if m, ok := api.Match(r); ok {
			if r, ok := auth.Authorize(tokens, w, r, m.Role(), m.Operation()); ok {
				s.limit(w, withCaller(r), func(w http.ResponseWriter, r *http.Request) { fleetAPI.Serve(w, r, m) })
			}
			return
		}
		if r.URL.Path == webhook.DeliveriesPath && s.events != nil {
			if r, ok := auth.Authorize(tokens, w, r, auth.Reader, "list webhook deliveries"); ok {
				if r.Method != http.MethodGet {
					w.Header().Set("Allow", http.MethodGet)
					api.WriteError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path+"; use GET")
					return
				}
				s.limit(w, r, webhook.DeliveriesHandler(s.Store.(store.EventLog)).ServeHTTP)
			}
			return
		}
		if s.Cloud != nil && s.Cloud.Owns(r) {
			need, what := auth.ReadsOrAdmin(r)
			if r, ok := auth.Authorize(tokens, w, r, need, what); ok {
				s.limit(w, r, s.Cloud.ServeHTTP)
			}
			return
		}
		if r, ok := auth.Authorize(tokens, w, r, auth.Reader, ""); ok {
			api.WriteError(w, http.StatusNotFound, "NotFound", "nothing is served at "+r.URL.Path+"; see docs/api.md")
		}
	}))
}

// refusePath answers a path that is not canonical with a 400, closing the
// connection if the caller announced a body it may never send.
func refusePath(w http.ResponseWriter, r *http.Request, err error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	api.WritePathError(w, err)
}

// ready answers /readyz: whether the store answers, and holds no record
// found corrupt (until it is deleted or rewritten). Anonymous callers
// learn only "ready" or "not ready"; an authenticated caller also sees
// why not.
func (s *Server) ready(w http.ResponseWriter, r *http.Request, tokens *auth.Tokens) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	_, err := s.Store.Get(ctx, store.Fleets, "/readyz")
	if err == store.ErrNotFound {
		err = nil
	}
	if err == nil {
		err = s.Damage.Err()
	}
	if err == nil {
		writeHealth(w, http.StatusOK, "ready", "")
		return
	}
	detail := ""
	if _, known := tokens.Check(auth.Bearer(r)); known {
		detail = "store: " + err.Error()
	}
	writeHealth(w, http.StatusServiceUnavailable, "not ready", detail)
}

func writeHealth(w http.ResponseWriter, status int, state, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
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

// withCaller tells the feed who causes the changes an authorized request
// makes.
func withCaller(r *http.Request) *http.Request {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return r.WithContext(feed.WithCaller(r.Context(), feed.Caller{Name: p.Name, Role: p.Role.String()}))
	}
	return r
}
