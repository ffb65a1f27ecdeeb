package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/store"
)

// routes serves the health endpoints openly and everything else behind
// authentication: the Fleet API, and the hosted simulated cloud's paths.
// There is no http.ServeMux in front: it would clean a path such as
// ".../members/.." and redirect the request to the fleet. A path that is
// not canonical is answered 400 instead, for every method. Every answer,
// health checks and refusals too, carries ARM's request-id headers.
func (s *Server) routes(fleetAPI *api.API, tokens *auth.Tokens) http.Handler {
	return api.RequestIDs(logRequests(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				writeHealth(w, http.StatusOK, "ok", "")
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
		if m, ok := api.Match(r); ok {
			if r, ok := auth.Authorize(tokens, w, r, m.Role(), m.Operation()); ok {
				s.limit(w, r, func(w http.ResponseWriter, r *http.Request) { fleetAPI.Serve(w, r, m) })
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
	})))
}

// refusePath answers a path that is not canonical with a 400, closing the
// connection if the caller announced a body it may never send.
func refusePath(w http.ResponseWriter, r *http.Request, err error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	api.WritePathError(w, err)
}

// ready answers /readyz: whether the store answers. Anonymous callers
// learn only "ready" or "not ready"; an authenticated caller also sees
// why not.
func (s *Server) ready(w http.ResponseWriter, r *http.Request, tokens *auth.Tokens) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	_, err := s.Store.Get(ctx, store.Fleets, "/readyz")
	if err == nil || err == store.ErrNotFound {
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
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start), "request_id", api.RequestID(r.Context()))
	})
}
