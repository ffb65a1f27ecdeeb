package server

import (
	"context"
	"net/http"

	"github.com/caravan-dev/caravan/auth"
)

// startObservers starts what follows the feed: the metrics. They stop
// when the server shuts down.
func (s *Server) startObservers(ctx context.Context) error {
	octx, cancel := context.WithCancel(context.Background())
	s.stopObservers = cancel
	if err := s.Metrics.Follow(octx, s.Feed, s.Store); err != nil {
		cancel()
		return err
	}
	_ = ctx
	return nil
}

// metricsHandler serves /metrics, behind a token of any role when the
// server was asked to.
func (s *Server) metricsHandler(cfg Config, tokens *auth.Tokens) http.Handler {
	h := s.Metrics.Handler()
	if cfg.MetricsRequireToken {
		return auth.Middleware(tokens, h)
	}
	return h
}
