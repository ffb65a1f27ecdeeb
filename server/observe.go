package server

import (
	"context"
	"net/http"
	"time"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/webhook"
)

// startObservers starts what follows the feed: the metrics, the event
// recorder and the webhook dispatcher. They stop when the server shuts
// down.
func (s *Server) startObservers(cfg Config) error {
	var subs []webhook.Subscription
	if cfg.WebhookFile != "" {
		var err error
		if subs, err = webhook.LoadFile(cfg.WebhookFile); err != nil {
			return err
		}
	}
	octx, cancel := context.WithCancel(context.Background())
	s.stopObservers = cancel
	if err := s.Metrics.Follow(octx, s.Feed, s.Store); err != nil {
		cancel()
		return err
	}
	log, ok := s.Store.(store.EventLog)
	if !ok {
		return nil
	}
	s.webhooks = webhook.NewDispatcher(webhook.Config{Log: log, Subscriptions: subs, Logger: s.log})
	rec, err := events.Start(octx, events.Config{
		Log: log, Store: s.Store, Feed: s.Feed, Logger: s.log, Retention: cfg.EventRetention,
		Subscribers: webhook.Router(subs), Queued: s.webhooks.Wake, Linger: events.DefaultLinger,
	})
	if err != nil {
		cancel()
		return err
	}
	s.events = rec
	go s.webhooks.Run(octx)
	if len(subs) > 0 {
		s.log.Info("delivering events to webhooks", "webhooks", len(subs), "file", cfg.WebhookFile)
	}
	return nil
}

// closeObservers lets the event recorder catch up with the feed (the
// engine has stopped), then stops what follows the feed.
func (s *Server) closeObservers() {
	if s.events != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.events.WaitFor(ctx, s.Feed.Seq())
		cancel()
	}
	s.stopObservers()
	if s.events != nil {
		<-s.events.Done()
	}
	if s.webhooks != nil {
		<-s.webhooks.Done()
	}
}

// metricsHandler serves /metrics, behind a token of any role when the
// server was asked to.
func (s *Server) metricsHandler(cfg Config, tokens *auth.Tokens) http.Handler {
	h := s.Metrics.Handler()
	if cfg.MetricsRequireToken {
		return auth.Middleware(tokens, func(*http.Request) (auth.Role, string) { return auth.Reader, "read the metrics" }, h)
	}
	return h
}
