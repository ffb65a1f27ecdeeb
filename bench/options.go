package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Store names accepted in Options.Store.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// All, as Options.Scenario, runs every scenario one after another.
const All = "all"

// Options say what Run measures. Zero fields take each scenario's
// defaults.
type Options struct {
	// Scenario is a scenario's name (see Scenarios) or "all".
	Scenario string
	// Store is "sqlite" (the default: a file in DataDir) or "postgres",
	// which needs PostgresDSN.
	Store string
	// PostgresDSN is the postgres:// URL of a database the benchmark may
	// write to. Use a throwaway database: the benchmark leaves its fleets
	// there (under a subscription id of its own).
	PostgresDSN string
	// Members is the size of each fleet (see each scenario for its
	// default and what it needs).
	Members int
	// Runs is how many update runs the scenario measures.
	Runs int
	// Latency is how long each member's upgrade takes in the simulated
	// cloud; zero means the scenario's default.
	Latency time.Duration
	// RetryAfterSeconds makes the simulated cloud say when to poll in
	// whole seconds only, in Retry-After, as ARM does, instead of also to
	// the millisecond: what the provider's polling costs against Azure.
	RetryAfterSeconds bool
	// DataDir is where each scenario keeps its SQLite database, in a
	// directory of its own that is kept. Empty means a temporary
	// directory, removed afterwards.
	DataDir string
	// CPUProfile, if set, is a file to write a pprof CPU profile of the
	// measured part to; HeapProfile a file for a heap profile taken at
	// its end. With several scenarios, each gets its own file, named
	// with the scenario before the extension.
	CPUProfile  string
	HeapProfile string
	// Repeat is how many times each scenario is measured, each time in
	// a server of its own; zero means once.
	Repeat int
	// Markdown, if set, is a file to write a page of the results to,
	// as docs/benchmarks.md is (see WriteMarkdown).
	Markdown string
}

func (o Options) validate() error {
	var errs []error
	switch o.Store {
	case "", StoreSQLite:
		if o.PostgresDSN != "" {
			errs = append(errs, errors.New("a PostgreSQL DSN was given but the store is sqlite: pass --store postgres with --postgres-dsn"))
		}
	case StorePostgres:
		if o.PostgresDSN == "" {
			errs = append(errs, errors.New("--store postgres needs a database to write to: pass --postgres-dsn postgres://user:password@host:5432/database (a throwaway database: the benchmark leaves its fleets in it)"))
		} else if !strings.HasPrefix(o.PostgresDSN, "postgres://") && !strings.HasPrefix(o.PostgresDSN, "postgresql://") {
			errs = append(errs, errors.New("--postgres-dsn must be a postgres:// URL, such as postgres://user:password@127.0.0.1:5432/bench"))
		}
	default:
		errs = append(errs, fmt.Errorf("store %q is not one caravan has: use sqlite or postgres", o.Store))
	}
	if o.Members < 0 {
		errs = append(errs, fmt.Errorf("members %d is negative: give a fleet size, or 0 for the scenario's default", o.Members))
	}
	if o.Runs < 0 {
		errs = append(errs, fmt.Errorf("runs %d is negative: give a number of runs, or 0 for the scenario's default", o.Runs))
	}
	if o.Latency < 0 {
		errs = append(errs, fmt.Errorf("latency %s is negative: give how long each member's upgrade takes, such as 200ms, or 0 for the scenario's default", o.Latency))
	}
	if o.Repeat < 0 {
		errs = append(errs, fmt.Errorf("repeat %d is negative: give how many times to measure each scenario, or 0 for once", o.Repeat))
	}
	return errors.Join(errs...)
}

func (o Options) storeName() string {
	if o.Store == "" {
		return StoreSQLite
	}
	return o.Store
}
