package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/bench"
)

func (a *app) benchCmd() *cobra.Command {
	var opts bench.Options
	var scenarios []string
	for _, s := range bench.Scenarios() {
		scenarios = append(scenarios, fmt.Sprintf("  %-20s %s", s.Name, s.Description))
	}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure caravan's orchestration: run benchmark scenarios in-process",
		Long: `Run benchmark scenarios in-process: a real caravan server (engine, store and
Fleet API) upgrading clusters of a simulated AKS cloud over loopback HTTP
through the AKS provider. Each scenario prints one JSON object per line on
stdout (wall times per run, the critical path, the overhead, CPU and peak
memory) and a readable table on stderr. With --repeat, each scenario is
measured that many times; with --markdown, a page of the results is
written: per figure the least, median and greatest measurement, the
machine and how busy it was, and the targets met or not. docs/benchmarks.md
is that page, regenerated with:

  ` + bench.PageCommand + `

It explains the scenarios and has the latest figures.

Scenarios:
` + strings.Join(scenarios, "\n"),
		Example: `  caravan bench --scenario kubefleet-1run
  caravan bench --scenario all > results.jsonl
  ` + bench.PageCommand + `
  caravan bench --scenario overhead-realistic --latency 500ms --runs 3
  caravan bench --scenario scale-10k --store postgres --postgres-dsn postgres://postgres@127.0.0.1:5432/bench`,
		Args: noArgs("name the scenario with --scenario"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Scenario == "" {
				return usagef("--scenario is required: one of %s, or all", scenarioNames())
			}
			return bench.Run(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Scenario, "scenario", "", "scenario to run, or all")
	f.StringVar(&opts.Store, "store", bench.StoreSQLite, "store: sqlite or postgres")
	f.StringVar(&opts.PostgresDSN, "postgres-dsn", "", "with --store postgres: the postgres:// URL of a throwaway database")
	f.IntVar(&opts.Members, "members", 0, "size of each fleet (0: the scenario's default)")
	f.IntVar(&opts.Runs, "runs", 0, "update runs to measure (0: the scenario's default)")
	f.DurationVar(&opts.Latency, "latency", 0, "how long each member's upgrade takes, such as 200ms (0: the scenario's default)")
	f.BoolVar(&opts.RetryAfterSeconds, "retry-after-seconds", false, "the simulated cloud says when to poll in whole seconds only (Retry-After), as Azure does, not also to the millisecond")
	f.StringVar(&opts.DataDir, "data", "", "directory to keep each scenario's SQLite database in (default: a temporary one)")
	f.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the measured part to this file")
	f.IntVar(&opts.Repeat, "repeat", 1, "how many times to measure each scenario, each in a new server")
	f.StringVar(&opts.Markdown, "markdown", "", "write a page of the results (as docs/benchmarks.md) to this file")
	f.StringVar(&opts.HeapProfile, "heapprofile", "", "write a pprof heap profile at the end of the measured part to this file")
	return c
}

func scenarioNames() string {
	var names []string
	for _, s := range bench.Scenarios() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
