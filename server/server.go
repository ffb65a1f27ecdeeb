package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/autoupgrade"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/metrics"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/postgres"
	"github.com/caravan-dev/caravan/store/sqlite"
	"github.com/caravan-dev/caravan/web"
	"github.com/caravan-dev/caravan/webhook"
)

// Server is a running caravan server.
type Server struct {
	// URL is where the server listens, such as http://127.0.0.1:8080.
	URL string
	// Token is the admin token in clear when the server knows one
	// (given, or generated), else empty.
	Token string
	// TokenPath is where a generated admin token is kept, if any.
	TokenPath string
	Store     store.Store
	Engine    *engine.Engine
	// Cloud is the hosted simulated cloud, or nil.
	Cloud *simcloud.Cloud
	// Damage holds the stored records found corrupt; while it holds any,
	// /readyz answers not ready.
	Damage *store.Damage
	// Feed is the feed of every transition of the server's update runs
	// (see package feed): the engine's and the API's.
	Feed *feed.Feed
	// Metrics are the server's Prometheus metrics, served at /metrics.
	Metrics *metrics.Metrics

	log      *slog.Logger
	api      *api.API
	triggers *autoupgrade.Triggers
	http     *http.Server
	provider *aks.Provider
	done     chan error
	once     sync.Once
	timeout  time.Duration
	callers  *callerLimit
	// unlock releases the data directory's lock (SQLite only).
	unlock func()
	// dashboard serves the dashboard's live streams.
	dashboard *web.Stream
	// stopObservers stops what follows the feed.
	stopObservers context.CancelFunc
	events        *events.Recorder
	webhooks      *webhook.Dispatcher
	// owner names the server among those sharing its database, if any.
	owner string
}

// enginePrincipal is the caller name of the server's own engine when it
// upgrades the clusters of the simulated cloud it hosts.
const enginePrincipal = "caravan-engine"

// Start opens everything and starts serving; it returns once the server
// listens. Stop it with Shutdown.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg.defaults()
	s := &Server{log: cfg.Logger, done: make(chan error, 1), timeout: cfg.ShutdownTimeout, Feed: feed.New(), Metrics: metrics.New(), Damage: &store.Damage{}}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()

	if cfg.DB == "" {
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		s.unlock = release
		closers = append(closers, release)
	}
	tokens, err := s.tokens(cfg)
	if err != nil {
		return nil, err
	}
	if s.Store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	closers = append(closers, func() { s.Store.Close() })
	if err := s.startObservers(cfg); err != nil {
		return nil, err
	}
	closers = append(closers, s.stopObservers)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w; is another caravan running there? pick another address with --addr", cfg.Addr, err)
	}
	closers = append(closers, func() { ln.Close() })
	scheme := "http"
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, errors.New("TLS needs both --tls-cert and --tls-key")
		}
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("error loading the TLS certificate and key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	s.URL = scheme + "://" + ln.Addr().String()
	publicURL := s.URL
	if cfg.PublicURL != "" {
		if publicURL, err = parsePublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	}
	ln = newLimitListener(ln, cfg.MaxConnections)
	if cfg.MaxCallerRequests > 0 {
		s.callers = &callerLimit{max: cfg.MaxCallerRequests, n: map[string]int{}}
	}

	if cfg.Simulate {
		s.Cloud = simcloud.New(simcloud.Options{Speed: cfg.SimSpeed, FaultRate: cfg.SimFaultRate, RetryAfterSeconds: cfg.SimRetryAfterSeconds})
		closers = append(closers, s.Cloud.Close)
		if cfg.SimSeed != "" {
			seed, err := simcloud.LoadSeed(cfg.SimSeed)
			if err != nil {
				return nil, err
			}
			ids, err := s.Cloud.CreateClusters(seed)
			if err != nil {
				return nil, fmt.Errorf("error seeding the simulated cloud from %s: %w", cfg.SimSeed, err)
			}
			s.log.Info("seeded the simulated cloud", "clusters", len(ids), "file", cfg.SimSeed)
		}
	}

	provider, err := s.newProvider(cfg, tokens, tlsConfig != nil)
	if err != nil {
		return nil, err
	}
	s.provider = provider
	closers = append(closers, func() { provider.Close() })

	// The engine tells the API what it sees of clusters, so member
	// responses show where upgrades left them; the API exists by the
	// time the engine starts.
	var fleetAPI *api.API
	ownership, err := s.ownership(cfg)
	if err != nil {
		return nil, err
	}
	s.Engine, err = engine.New(engine.Config{
		Ownership:       ownership,
		Store:           s.Store,
		Provider:        provider,
		Logger:          s.log,
		RecheckInterval: cfg.RecheckInterval,
		Observed:        func(c *cluster.Cluster) { fleetAPI.ClusterObserved(c) },
		Changed:         func(id string) { fleetAPI.ClusterChanged(id) },
		Damage:          s.Damage,
		Feed:            s.Feed,
	})
	if err != nil {
		return nil, err
	}
	closers = append(closers, s.Engine.Close)

	apiCfg := api.Config{
		Store:    s.Store,
		Runs:     s.Engine,
		Clusters: provider,
		Logger:   s.log,
		Damage:   s.Damage,
		BaseURL:  publicURL,
		Principal: func(r *http.Request) string {
			p, _ := auth.PrincipalFrom(r.Context())
			return p.Name
		},
		Feed: s.Feed,
	}
	if s.events != nil {
		apiCfg.Events = s.events
	}
	fleetAPI = api.New(apiCfg)
	s.api = fleetAPI
	closers = append(closers, fleetAPI.Close)
	s.http = &http.Server{
		Handler:           s.routes(fleetAPI, tokens, s.metricsHandler(cfg, tokens)),
		ReadHeaderTimeout: min(10*time.Second, cfg.ReadTimeout),
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Live dashboard streams never go idle: end them when shutting down.
	s.http.RegisterOnShutdown(s.dashboard.Close)
	go func() {
		var err error
		if tlsConfig != nil {
			err = s.http.ServeTLS(ln, "", "")
		} else {
			err = s.http.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	// The engine resumes runs once the server answers: with a hosted
	// simulated cloud, its provider calls this very server.
	if err := s.Engine.Start(ctx); err != nil {
		s.http.Close()
		return nil, err
	}
	s.triggers = autoupgrade.New(autoupgrade.Config{
		Store:    s.Store,
		Runs:     fleetAPI,
		RunName:  api.ReleaseRunName,
		Interval: cfg.AutoUpgradeInterval,
		Logger:   s.log,
	})
	s.triggers.Start()
	s.log.Info("caravan is serving", "url", s.URL, "dashboard", s.URL+"/", "simulate", cfg.Simulate, "store", storeName(cfg))
	return s, nil
}

func storeName(cfg Config) string {
	if cfg.DB != "" {
		return "postgres"
	}
	return filepath.Join(cfg.DataDir, sqlite.FileName)
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DB != "" {
		if !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
			// Not echoed: a key=value connection string holds its password
			// in clear.
			return nil, errors.New("--db is not a PostgreSQL URL: use postgres://user:password@host:5432/database, or leave --db out to use SQLite in --data")
		}
		s, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, withoutSecrets(fmt.Errorf("--db %s: %w", redact(cfg.DB), err), dsnSecrets(cfg.DB))
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, sqlite.FileName))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parsePublicURL checks a --public-url: an http or https URL with a host
// and nothing after the path.
func parsePublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--public-url %q is not a base URL: give one such as https://caravan.example.com", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// tokens gathers the tokens the server accepts: a token file, the admin
// token given in clear, or else one it generates and keeps in the data
// directory.
func (s *Server) tokens(cfg Config) (*auth.Tokens, error) {
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
		token, path, created, err := auth.EnsureGenerated(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		tokens.Add(token, auth.Principal{Name: "admin", Role: auth.Admin})
		s.Token, s.TokenPath = token, path
		if created {
			s.log.Info("generated an admin token; use it as the bearer token (caravan login --token-file)", "path", path)
		} else {
			s.log.Info("using the admin token kept in the data directory", "path", path)
		}
	}
	return tokens, nil
}

// newProvider builds the AKS provider: against the hosted simulated cloud
// (through this server's own endpoint, with a token only it knows), an
// endpoint given, or Azure.
func (s *Server) newProvider(cfg Config, tokens *auth.Tokens, selfTLS bool) (*aks.Provider, error) {
	endpoint, token := cfg.ARMEndpoint, cfg.ARMToken
	var transport policy.Transporter
	if cfg.Simulate && endpoint == "" {
		token = auth.NewToken()
		tokens.Add(token, auth.Principal{Name: enginePrincipal, Role: auth.Admin, Internal: true})
		endpoint = s.URL
		if selfTLS {
			// The server calls itself on loopback, with its own
			// certificate, which need not name 127.0.0.1.
			transport = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		}
	}
	pc, err := aks.ConfigFromEnvironment(func(k string) string {
		switch k {
		case aks.EnvEndpoint:
			return endpoint
		case aks.EnvToken:
			return token
		}
		return os.Getenv(k)
	})
	if err != nil {
		return nil, err
	}
	if transport != nil {
		pc.Transport = transport
	}
	pc.ObserveRequest = func(operation, code string) { s.Metrics.ProviderRequest("aks", operation, code) }
	p, err := aks.New(pc)
	if err != nil {
		return nil, fmt.Errorf("error setting up the AKS provider for %s: %w", orAzure(endpoint), err)
	}
	return p, nil
}

func orAzure(endpoint string) string {
	if endpoint == "" {
		return "Azure"
	}
	return endpoint
}

// Wait blocks until the server stops serving and returns why.
func (s *Server) Wait() error { return <-s.done }

// Shutdown stops the engine (runs stay resumable: upgrades in flight
// carry on in the cloud and are picked up at the next start), stops taking
// requests, lets those in flight finish, and closes the store.
func (s *Server) Shutdown() error {
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		// The engine stops first, while the server still answers its
		// provider (which may be calling this very server's simulated
		// cloud); closing the provider drops its idle connections, which
		// the HTTP server would otherwise wait for.
		s.triggers.Close()
		s.Engine.Close()
		s.provider.Close()
		err = s.http.Shutdown(ctx)
		s.api.Close()
		s.closeObservers()
		if s.Cloud != nil {
			s.Cloud.Close()
		}
		if cerr := s.Store.Close(); err == nil {
			err = cerr
		}
		if s.unlock != nil {
			s.unlock()
		}
		s.log.Info("caravan stopped")
	})
	return err
}
