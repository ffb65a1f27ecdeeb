package bench

import (
	"fmt"
	"time"
)

// Scenario names a benchmark and says in a line what it measures.
type Scenario struct {
	Name        string
	Description string
}

// scenario is a Scenario with its defaults and the plan it measures.
type scenario struct {
	Scenario
	// build makes the plan for members (fleet size), runs and latency,
	// each already defaulted.
	build   func(members, runs int, latency time.Duration) (plan, error)
	members func(runs int) int // default fleet size for a number of runs
	runs    func(members int) int
	latency time.Duration
	// sizes, when set, are the fleet sizes the scenario is measured at,
	// a result for each, unless --members names one.
	sizes []int
	// upgrades says what each member's upgrade goes through.
	upgrades string
}

// Scenarios lists the scenarios Run knows, in the order "all" runs them.
func Scenarios() []Scenario {
	out := make([]Scenario, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.Scenario
	}
	return out
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// settle fills the zero options with the scenario's defaults.
func (s scenario) settle(o Options) (members, runs int, latency time.Duration) {
	members, runs, latency = o.Members, o.Runs, o.Latency
	switch {
	case members == 0 && runs == 0:
		runs = s.runs(0)
		members = s.members(runs)
	case members == 0:
		members = s.members(runs)
	case runs == 0:
		runs = s.runs(members)
	}
	if latency == 0 {
		latency = s.latency
	}
	return members, runs, latency
}

// What every scenario's members go through, said in its description.
const (
	upgradePath = "each member is a Full upgrade with the newest node images: one managed-cluster PUT, with the reads of the cluster around it, from the AKS provider through Azure's SDK to the simulated cloud over loopback HTTP, the run written to the store before it and after it"
	// instantUpgrades: the tag is 0 seconds.
	instantUpgrades = upgradePath + "; the cloud answers the PUT with the operation under way and a retry-after-ms of 0, and the provider's first read of the cluster after it finds it ended and is its end"
	// timedUpgrades: the tag is the member's latency.
	timedUpgrades = upgradePath + "; the cloud ends each operation after the member's latency and says when in the PUT's answer (retry-after-ms), and the provider reads the cluster then"
)

var scenarios = []scenario{
	{
		Scenario: Scenario{
			Name:        "kubefleet-1run",
			Description: "kubefleet's single run: a 1,000-member fleet, a run over 100 of them in stages of 20/30/50 at 50% concurrency; runs one after another, each over 100 other members; instant upgrades",
		},
		upgrades: instantUpgrades,
		members:  func(runs int) int { return max(1000, runs*kubefleetRunSize) },
		runs:     func(members int) int { return defaultRuns(members, 10) },
		build: func(members, runs int, latency time.Duration) (plan, error) {
			if members < runs*kubefleetRunSize {
				return plan{}, fmt.Errorf("kubefleet-1run runs each run over 100 members of its own: %d runs need at least %d members, not %d", runs, runs*kubefleetRunSize, members)
			}
			f := fleetPlan{name: "fleet-1000", groups: make([]string, members)}
			p := plan{latency: latency}
			for i := range runs {
				p.runs = append(p.runs, kubefleetRun(&f, 0, fmt.Sprintf("run-%03d", i+1), i*kubefleetRunSize))
			}
			p.fleets = []fleetPlan{f}
			return p, nil
		},
	},
	{
		Scenario: Scenario{
			Name:        "kubefleet-100runs",
			Description: "kubefleet's 100 runs at once: 100 fleets of 100 members on 10,000 clusters, each run in stages of 20/30/50 at 50% concurrency, all started together; instant upgrades",
		},
		upgrades: instantUpgrades,
		members:  func(int) int { return kubefleetRunSize },
		runs:     func(int) int { return 100 },
		build: func(members, runs int, latency time.Duration) (plan, error) {
			if members < kubefleetRunSize {
				return plan{}, fmt.Errorf("kubefleet-100runs runs each run over 100 members of its fleet: --members (the fleet size) must be at least 100, not %d", members)
			}
			p := plan{latency: latency, together: true}
			for i := range runs {
				f := fleetPlan{name: fmt.Sprintf("fleet-%03d", i+1), groups: make([]string, members)}
				p.runs = append(p.runs, kubefleetRun(&f, i, "run", 0))
				p.fleets = append(p.fleets, f)
			}
			return p, nil
		},
	},
	{
		Scenario: Scenario{
			Name:        "scale-10k",
			Description: "one run over a 10,000-member fleet in 10 stages of 50 groups, with the latency of GET on the run and of listing members measured while it runs; instant upgrades",
		},
		upgrades: instantUpgrades,
		members:  func(int) int { return 10000 },
		runs:     func(int) int { return 1 },
		build: func(members, runs int, latency time.Duration) (plan, error) {
			const stages, groups = 10, 50
			if members < stages*groups {
				return plan{}, fmt.Errorf("scale-10k spreads the fleet over %d groups: --members must be at least %d, not %d", stages*groups, stages*groups, members)
			}
			p := plan{latency: latency, probe: true}
			for i := range runs {
				f := fleetPlan{name: fmt.Sprintf("fleet-%03d", i+1), groups: make([]string, members)}
				p.runs = append(p.runs, wideRun(&f, i, "run", stages, groups))
				p.fleets = append(p.fleets, f)
			}
			return p, nil
		},
	},
	{
		Scenario: Scenario{
			Name:        "scaling",
			Description: "how cost grows with the fleet: one run over 100, 1,000 and 10,000 members in 4 stages of 5 groups; compare cpu_per_transition_ms, overhead_per_transition_ms and bytes_written_per_transition across the sizes (flat is the goal); instant upgrades",
		},
		upgrades: instantUpgrades,
		members:  func(int) int { return 1000 },
		runs:     func(int) int { return 1 },
		sizes:    []int{100, 1000, 10000},
		build: func(members, runs int, latency time.Duration) (plan, error) {
			const stages, groups = 4, 5
			if members < stages*groups {
				return plan{}, fmt.Errorf("scaling spreads the fleet over %d groups: --members must be at least %d, not %d", stages*groups, stages*groups, members)
			}
			p := plan{latency: latency}
			for i := range runs {
				f := fleetPlan{name: fmt.Sprintf("fleet-%03d", i+1), groups: make([]string, members)}
				p.runs = append(p.runs, wideRun(&f, i, "run", stages, groups))
				p.fleets = append(p.fleets, f)
			}
			return p, nil
		},
	},
	{
		Scenario: Scenario{
			Name:        "overhead-realistic",
			Description: "kubefleet's run shape with upgrades that take 200 ms (--latency) ± 25% per cluster, five runs (--runs) one after another; the figure is wall time over the critical path (1.00 is the physical limit)",
		},
		upgrades: timedUpgrades,
		members:  func(runs int) int { return max(500, runs*kubefleetRunSize) },
		runs:     func(members int) int { return defaultRuns(members, 5) },
		latency:  200 * time.Millisecond,
		build: func(members, runs int, latency time.Duration) (plan, error) {
			if members < runs*kubefleetRunSize {
				return plan{}, fmt.Errorf("overhead-realistic runs each run over 100 members of its own: %d runs need at least %d members, not %d", runs, runs*kubefleetRunSize, members)
			}
			f := fleetPlan{name: "fleet-1", groups: make([]string, members)}
			p := plan{latency: latency, jitter: 0.25}
			for i := range runs {
				p.runs = append(p.runs, kubefleetRun(&f, 0, fmt.Sprintf("run-%03d", i+1), i*kubefleetRunSize))
			}
			p.fleets = []fleetPlan{f}
			return p, nil
		},
	},
}

// defaultRuns is how many runs of kubefleet's shape to measure one after
// another: want, or as many as a fleet of the given size has room for
// (members 0: not given).
func defaultRuns(members, want int) int {
	if members == 0 {
		return want
	}
	return max(1, min(want, members/kubefleetRunSize))
}
