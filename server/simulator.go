package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/simcloud"
)

// DefaultSimAddr is the default address of a stand-alone simulated cloud.
const DefaultSimAddr = "127.0.0.1:8090"

// SimConfig is how caravan simulate runs a simulated cloud on its own,
// for caravan servers to reach with --arm-endpoint.
type SimConfig struct {
	// Addr is the address to listen on (default DefaultSimAddr; port 0
	// picks a free port).
	Addr string
	// Token is an admin token accepted in clear (CARAVAN_TOKEN).
	Token string
	// TokenFile lists callers by token hash and role. Upgrading clusters
	// needs the admin role.
	TokenFile string
	// Seed is a seed file of clusters to create at start.
	Seed string
	// Speed divides the cloud's realistic durations (default 1).
	Speed float64
	// FaultRate is the share of ARM requests answered with a transient
	// error.
	FaultRate float64
	// RetryAfterSeconds makes the cloud say when to poll in whole
	// seconds only, in Retry-After, as ARM does.
	RetryAfterSeconds bool
	// ShutdownTimeout bounds the graceful shutdown (default 10s).
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Simulator is a running stand-alone simulated cloud.
type Simulator struct {
	// URL is where it listens, such as http://127.0.0.1:8090.
	URL string
	// Token is an admin token in clear: the one given, or one generated
	// when neither Token nor TokenFile was given (Generated is then true).
	Token     string
	Generated bool
	Cloud     *simcloud.Cloud

	log     *slog.Logger
	http    *http.Server
	done    chan error
	once    sync.Once
	timeout time.Duration
}

// StartSimulator starts a simulated cloud behind the same bearer-token
// authentication as a caravan server, with a /healthz endpoint; it returns
// once it listens. Stop it with Shutdown.
func StartSimulator(ctx context.Context, cfg SimConfig) (*Simulator, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultSimAddr
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Simulator{log: cfg.Logger, done: make(chan error, 1), timeout: cfg.ShutdownTimeout}
	tokens := auth.NewTokens()
	if cfg.TokenFile != "" {
		if err := auth.LoadFile(cfg.TokenFile, tokens); err != nil {
			return nil, err
		}
	}
	if cfg.Token != "" {
		tokens.Add(cfg.Token, auth.Principal{Name: "admin", Role: auth.Admin})
		s.Token = cfg.Token
	}
	if tokens.Len() == 0 {
		s.Token, s.Generated = auth.NewToken(), true
		tokens.Add(s.Token, auth.Principal{Name: "admin", Role: auth.Admin})
	}
	s.Cloud = simcloud.New(simcloud.Options{Speed: cfg.Speed, FaultRate: cfg.FaultRate, RetryAfterSeconds: cfg.RetryAfterSeconds})
	if cfg.Seed != "" {
		seed, err := simcloud.LoadSeed(cfg.Seed)
		if err != nil {
			s.Cloud.Close()
			return nil, err
		}
		ids, err := s.Cloud.CreateClusters(seed)
		if err != nil {
			s.Cloud.Close()
			return nil, fmt.Errorf("error seeding the simulated cloud from %s: %w", cfg.Seed, err)
		}
		s.log.Info("seeded the simulated cloud", "clusters", len(ids), "file", cfg.Seed)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		s.Cloud.Close()
		return nil, fmt.Errorf("cannot listen on %s: %w; is something else running there? pick another address with --addr", cfg.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	protected := auth.Middleware(tokens, auth.ReadsOrAdmin, s.Cloud)
	// No http.ServeMux: it would redirect a path it cleans, method,
	// token and all. A path that is not canonical is answered 400.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			writeHealth(w, http.StatusOK, "ok", "")
			return
		}
		if err := api.CheckPath(r); err != nil {
			refusePath(w, r, err)
			return
		}
		protected.ServeHTTP(w, r)
	})
	s.http = &http.Server{
		Handler:           logRequests(&Server{log: s.log}, handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("the simulated cloud is serving", "url", s.URL, "speed", cfg.Speed, "faultRate", cfg.FaultRate)
	return s, nil
}

// Wait blocks until the simulator stops serving and returns why.
func (s *Simulator) Wait() error { return <-s.done }

// Shutdown stops taking requests, lets those in flight finish and stops
// the cloud's timers. It may be called more than once.
func (s *Simulator) Shutdown() error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		err = s.http.Shutdown(ctx)
		s.Cloud.Close()
		s.log.Info("the simulated cloud stopped")
	})
	return err
}
