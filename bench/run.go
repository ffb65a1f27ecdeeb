package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
			o := opts
			o.Members = size
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
	fmt.Fprintln(stderr)
	tableHeader(stderr)
	for _, r := range results {
		r.row(stderr)
	}
	return nil
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
