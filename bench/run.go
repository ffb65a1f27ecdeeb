package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// Run measures the scenario opts names (or every one, for "all"): for
// each, one JSON object (a Result) on a line of stdout, and a row of a
// readable table, with progress notes, on stderr.
func Run(ctx context.Context, opts Options, stdout, stderr io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	var chosen []scenario
	switch opts.Scenario {
	case All:
		chosen = scenarios
	case "":
		return fmt.Errorf("no scenario given: pick one of %s, or all", scenarioNames())
	default:
		s, ok := findScenario(opts.Scenario)
		if !ok {
			return fmt.Errorf("there is no scenario %q: pick one of %s, or all", opts.Scenario, scenarioNames())
		}
		chosen = []scenario{s}
	}
	repeat := max(opts.Repeat, 1)
	loadBefore := loadAverage()
	if opts.Markdown != "" && loadBefore > float64(runtime.NumCPU())/2 {
		fmt.Fprintf(stderr, "note: the load average is %.2f on %d cores: other work will slow the figures, and the page will say so\n", loadBefore, runtime.NumCPU())
	}
	var results []Result
	for _, s := range chosen {
		prof := &profiles{
			cpuPath:  profilePath(opts.CPUProfile, s.Name, len(chosen) > 1),
			heapPath: profilePath(opts.HeapProfile, s.Name, len(chosen) > 1),
		}
		sizes := []int{opts.Members}
		if len(s.sizes) > 0 && opts.Members == 0 {
			sizes = s.sizes
		}
		for _, size := range sizes {
			for k := range repeat {
				o := opts
				o.Members = size
				if repeat > 1 {
					fmt.Fprintf(stderr, "%s: measurement %d of %d\n", s.Name, k+1, repeat)
				}
				res, err := runScenario(ctx, s, o, prof, stderr)
				if err != nil {
					return fmt.Errorf("scenario %s: %w", s.Name, err)
				}
				line, err := json.Marshal(res)
				if err != nil {
					return fmt.Errorf("error encoding the result of scenario %s: %w", s.Name, err)
				}
				if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
					return fmt.Errorf("error writing the result of scenario %s: %w", s.Name, err)
				}
				results = append(results, res)
			}
		}
	}
	fmt.Fprintln(stderr)
	tableHeader(stderr)
	for _, r := range results {
		r.row(stderr)
	}
	if opts.Markdown != "" {
		p := Page{Command: opts.commandLine(), Results: results, LoadBefore: loadBefore, LoadAfter: loadAverage()}
		if err := writeMarkdownFile(opts.Markdown, p); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", opts.Markdown)
	}
	return nil
}

// commandLine is the caravan bench command that opts stand for, without
// the PostgreSQL DSN (which may hold a password).
func (o Options) commandLine() string {
	args := []string{"caravan", "bench", "--scenario", o.Scenario}
	if o.Store != "" && o.Store != StoreSQLite {
		args = append(args, "--store", o.Store)
	}
	if o.PostgresDSN != "" {
		args = append(args, "--postgres-dsn", "…")
	}
	if o.Members != 0 {
		args = append(args, "--members", fmt.Sprint(o.Members))
	}
	if o.Runs != 0 {
		args = append(args, "--runs", fmt.Sprint(o.Runs))
	}
	if o.Latency != 0 {
		args = append(args, "--latency", o.Latency.String())
	}
	if o.Repeat > 1 {
		args = append(args, "--repeat", fmt.Sprint(o.Repeat))
	}
	if o.Markdown != "" {
		args = append(args, "--markdown", o.Markdown)
	}
	return strings.Join(args, " ")
}

func scenarioNames() string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// runScenario sets a scenario up in a server of its own, measures it and
// shuts the server down.
func runScenario(ctx context.Context, s scenario, o Options, prof *profiles, stderr io.Writer) (Result, error) {
	members, runs, latency := s.settle(o)
	p, err := s.build(members, runs, latency)
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(stderr, "%s\n", describe(s, p, members))
	e, err := startEnv(ctx, o, s.Name)
	if err != nil {
		return Result{}, err
	}
	defer e.close()
	began := time.Now()
	if err := e.setup(ctx, p); err != nil {
		return Result{}, err
	}
	setup := time.Since(began)
	fmt.Fprintf(stderr, "%s: set up in %.1fs; measuring\n", s.Name, setup.Seconds())
	m, err := e.execute(ctx, p, prof)
	if err != nil {
		return Result{}, err
	}
	return newResult(s, o, members, p, m, setup), nil
}
