package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/autoupgrade"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/server"
)

func (a *app) serveCmd() *cobra.Command {
	var cfg server.Config
	var level, format string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the caravan server: the Fleet API, the engine and the store",
		Long: `Run the caravan server until SIGINT or SIGTERM, then shut down gracefully
(upgrades in flight carry on in the cloud; runs resume at the next start).
Several servers may share one PostgreSQL database (--db): each run is
driven by the server holding its lease, a server that stops hands its runs
back at once, and one killed has its runs taken over once its leases
expire (--lease-ttl).

It serves Azure Kubernetes Fleet Manager's API for fleets, members, update
strategies and update runs, keeps them in SQLite (--data) or PostgreSQL
(--db), and upgrades clusters through Azure Resource Manager: Azure's, the
one --arm-endpoint names, or with --simulate a simulated AKS cloud it hosts
on the same address. A web dashboard is served at / (open the server's
URL in a browser and sign in with a token).

caravan creates its SQLite database only where there is no file; a file
that is there must be a caravan database, and an empty (truncated) file or
another application's is refused with what to do. caravan check verifies a
store and caravan backup copies one while the server runs.

Every request needs a bearer token: the admin token in $CARAVAN_TOKEN, the
callers in --token-file, or else an admin token generated at the first
start and kept in the data directory. What each role may do, how paths
are checked and the server's limits are in docs/operations.md ("Security
model").

Environment: CARAVAN_TOKEN (admin token), CARAVAN_DB (like --db),
CARAVAN_ARM_ENDPOINT (like --arm-endpoint), CARAVAN_ARM_TOKEN (static
token for the ARM endpoint; without it Azure's default credential chain is
used); the AKS provider's retries, polling and requests in flight
(CARAVAN_ARM_MAX_RETRIES, CARAVAN_ARM_POLL_MAX, CARAVAN_ARM_MAX_IN_FLIGHT)
are in docs/aks-provider.md.`,
		Example: `  # A server on a simulated cloud, for trying things out
  CARAVAN_TOKEN=secret caravan serve --simulate --sim-seed fleet.yaml --sim-speed 60

  # Against Azure, with callers from a token file, over TLS
  caravan serve --addr 0.0.0.0:8443 --data /var/lib/caravan --token-file tokens.yaml \
      --tls-cert cert.pem --tls-key key.pem

  # Against a simulated cloud run by caravan simulate
  CARAVAN_ARM_TOKEN=simtoken caravan serve --arm-endpoint http://127.0.0.1:8090`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), level, format)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			cfg.Token = a.env.Getenv("CARAVAN_TOKEN")
			cfg.ARMToken = a.env.Getenv(aks.EnvToken)
			if cfg.ARMEndpoint == "" {
				cfg.ARMEndpoint = a.env.Getenv(aks.EnvEndpoint)
			}
			if cfg.DB == "" {
				cfg.DB = a.env.Getenv("CARAVAN_DB")
			}
			if cfg.SimSpeed < 0 || cfg.SimFaultRate < 0 || cfg.SimFaultRate > 1 {
				return usagef("--sim-speed must be positive and --sim-fault-rate between 0 and 1")
			}
			if (cfg.SimSeed != "" || cmd.Flags().Changed("sim-speed") || cmd.Flags().Changed("sim-fault-rate")) && !cfg.Simulate {
				return usagef("--sim-seed, --sim-speed and --sim-fault-rate need --simulate")
			}
			ctx := cmd.Context()
			srv, err := server.Start(ctx, cfg)
			if err != nil {
				return err
			}
			stopped := make(chan error, 1)
			go func() { stopped <- srv.Wait() }()
			select {
			case <-ctx.Done():
				logger.Info("shutting down", "reason", "signal")
				return srv.Shutdown()
			case err := <-stopped:
				srv.Shutdown()
				if err != nil {
					return fmt.Errorf("the server stopped: %w", err)
				}
				return nil
			}
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "address to listen on (port 0 picks a free one)")
	f.StringVar(&cfg.DataDir, "data", server.DefaultDataDir, "directory of the SQLite database and the generated admin token")
	f.StringVar(&cfg.DB, "db", "", "PostgreSQL URL (postgres://user:password@host:5432/db) to keep the data in instead of SQLite (default $CARAVAN_DB)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.StringVar(&cfg.TokenFile, "token-file", "", "token file listing callers by name, role and token hash (see caravan token generate)")
	f.BoolVar(&cfg.Simulate, "simulate", false, "host a simulated AKS cloud on the same address and upgrade its clusters")
	f.StringVar(&cfg.SimSeed, "sim-seed", "", "seed file (YAML or JSON) of simulated clusters to create at start")
	f.Float64Var(&cfg.SimSpeed, "sim-speed", 1, "divide the simulated cloud's realistic durations by this (60: an hour takes a minute)")
	f.Float64Var(&cfg.SimFaultRate, "sim-fault-rate", 0, "share (0 to 1) of simulated-cloud requests answered with a transient error")
	f.StringVar(&cfg.ARMEndpoint, "arm-endpoint", "", "Azure Resource Manager endpoint to upgrade clusters through (default $"+aks.EnvEndpoint+", Azure's, or this server with --simulate)")
	f.StringVar(&cfg.PublicURL, "public-url", "", "URL callers reach this server at, when a proxy stands in front (list pages link to it; default: the listener's address)")
	f.DurationVar(&cfg.ReadTimeout, "read-timeout", server.DefaultReadTimeout, "longest time to read a whole request, body included; slower callers get 408 and are disconnected")
	f.IntVar(&cfg.MaxConnections, "max-connections", server.DefaultMaxConnections, "most connections served at once; more wait to be accepted (-1: no cap)")
	f.IntVar(&cfg.MaxCallerRequests, "max-caller-requests", server.DefaultMaxCallerRequests, "most requests one caller (token name) may have in flight; more get 429 with Retry-After (-1: no cap)")
	f.DurationVar(&cfg.RecheckInterval, "recheck-interval", 30*time.Second, "how often Pending members are checked again")
	f.DurationVar(&cfg.LeaseTTL, "lease-ttl", engine.DefaultLeaseTTL, "with --db: how long a server's lease on a run lasts unless renewed; a killed server's runs are taken over within about lease-ttl + lease-interval")
	f.DurationVar(&cfg.LeaseInterval, "lease-interval", engine.DefaultLeaseTTL/3, "with --db: how often a server renews its leases and looks for runs no server drives (shorter than --lease-ttl)")
	f.BoolVar(&cfg.MetricsRequireToken, "metrics-require-token", false, "make /metrics need a bearer token (any role); Prometheus sends it with authorization credentials")
	f.DurationVar(&cfg.EventRetention, "event-retention", 30*24*time.Hour, "how long the events of update runs are kept")
	f.StringVar(&cfg.WebhookFile, "webhooks", "", "file (YAML or JSON) of webhook subscriptions to deliver events to (see docs/observability.md)")
	f.DurationVar(&cfg.AutoUpgradeInterval, "auto-upgrade-interval", 0, fmt.Sprintf("how often the cloud's catalogs are read for releases that auto-upgrade profiles take (default %s with --simulate, %s otherwise)", autoupgrade.DefaultInterval, server.DefaultAutoUpgradeInterval))
	f.StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&format, "log-format", "text", "log format: text or json")
	c.RegisterFlagCompletionFunc("log-level", fixedCompletion("debug", "info", "warn", "error"))
	c.RegisterFlagCompletionFunc("log-format", fixedCompletion("text", "json"))
	return c
}
