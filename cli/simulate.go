package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/server"
)

func (a *app) simulateCmd() *cobra.Command {
	var cfg server.SimConfig
	var level, format string
	c := &cobra.Command{
		Use:   "simulate",
		Short: "Run a simulated AKS cloud on its own, for caravan servers to upgrade",
		Long: `Run a simulated AKS cloud (the Microsoft.ContainerService API for managed
clusters, their agent pools and maintenance configurations) until SIGINT or
SIGTERM. caravan servers upgrade its clusters with
serve --arm-endpoint URL and CARAVAN_ARM_TOKEN set to a token it accepts.

Requests need a bearer token with the admin role: $CARAVAN_TOKEN, a caller
of --token-file, or else a token generated now and printed. Besides ARM it
serves /healthz and the simulator's own API: /simulator/operations,
/simulator/catalog, /simulator/publish and /simulator/seed.`,
		Example: `  CARAVAN_TOKEN=simtoken caravan simulate --addr 127.0.0.1:8090 --seed fleet.yaml --speed 60
  CARAVAN_ARM_TOKEN=simtoken caravan serve --arm-endpoint http://127.0.0.1:8090`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), level, format)
			if err != nil {
				return err
			}
			if cfg.Speed <= 0 || cfg.FaultRate < 0 || cfg.FaultRate > 1 {
				return usagef("--speed must be positive and --fault-rate between 0 and 1")
			}
			cfg.Logger = logger
			cfg.Token = a.env.Getenv("CARAVAN_TOKEN")
			ctx := cmd.Context()
			sim, err := server.StartSimulator(ctx, cfg)
			if err != nil {
				return err
			}
			if sim.Generated {
				fmt.Fprintf(cmd.OutOrStdout(), "No token given, so this simulated cloud accepts a new one. Point caravan at it with:\n\n  CARAVAN_ARM_TOKEN=%s caravan serve --arm-endpoint %s\n\n", sim.Token, sim.URL)
			}
			stopped := make(chan error, 1)
			go func() { stopped <- sim.Wait() }()
			select {
			case <-ctx.Done():
				return sim.Shutdown()
			case err := <-stopped:
				sim.Shutdown()
				if err != nil {
					return fmt.Errorf("the simulated cloud stopped: %w", err)
				}
				return nil
			}
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Addr, "addr", server.DefaultSimAddr, "address to listen on (port 0 picks a free one)")
	f.StringVar(&cfg.TokenFile, "token-file", "", "token file listing callers by name, role and token hash")
	f.StringVar(&cfg.Seed, "seed", "", "seed file (YAML or JSON) of clusters to create at start")
	f.Float64Var(&cfg.Speed, "speed", 1, "divide realistic durations by this (60: an hour takes a minute)")
	f.Float64Var(&cfg.FaultRate, "fault-rate", 0, "share (0 to 1) of ARM requests answered with a transient error")
	f.BoolVar(&cfg.RetryAfterSeconds, "retry-after-seconds", false, "say when to poll in whole seconds only (Retry-After), as Azure does, not also to the millisecond (retry-after-ms)")
	f.StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&format, "log-format", "text", "log format: text or json")
	return c
}
