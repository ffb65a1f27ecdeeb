package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Result is what one scenario measured: the line Run prints on stdout.
// Times are in seconds unless their name says otherwise.
type Result struct {
	Scenario string `json:"scenario"`
	// Exercises says what the scenario measures.
	Exercises string `json:"exercises"`
	Store     string `json:"store"`
	// Members is the size of each fleet; Fleets how many there are.
	Members int `json:"members"`
	Runs    int `json:"runs"`
	Fleets  int `json:"fleets"`
	// MembersPerRun is the number of members each run upgrades.
	MembersPerRun int `json:"members_per_run"`
	// Clusters is the number of simulated clusters.
	Clusters int `json:"clusters"`
	// LatencyMS is how long each member's upgrade takes in the cloud
	// (before jitter).
	LatencyMS float64 `json:"latency_ms"`
	Jitter    float64 `json:"jitter"`
	// Together says whether the runs started at once (else one after
	// another).
	Together bool `json:"together"`

	// Wall times, per run: from the engine's acceptance of its start to
	// the arrival of its committed completion (see commitWatch).
	WallP50 float64 `json:"wall_p50_s"`
	WallP90 float64 `json:"wall_p90_s"`
	WallMax float64 `json:"wall_max_s"`
	WallMin float64 `json:"wall_min_s"`
	// StartAcceptMaxMS is the longest a start request took, from its
	// sending to the engine's acceptance of it: the part of a caller's
	// wait that comes before the wall time.
	StartAcceptMaxMS float64 `json:"start_accept_max_ms"`
	// CriticalPath is the shortest time a run can take (the median run's
	// when they differ); 0 with instant upgrades.
	CriticalPath float64 `json:"critical_path_s"`
	// OverheadRatio is wall time over critical path for the median run
	// (nil when the critical path is 0); OverheadRatioMax the worst run's.
	OverheadRatio    *float64 `json:"overhead_ratio"`
	OverheadRatioMax *float64 `json:"overhead_ratio_max"`
	// Transitions counts member transitions: each upgraded member goes
	// NotStarted → Running → Completed.
	Transitions int `json:"transitions"`
	// OverheadPerTransitionMS is the time the orchestration added per
	// member transition: the measured span less the critical path,
	// divided by the transitions.
	OverheadPerTransitionMS float64 `json:"overhead_per_transition_ms"`
	// Span is from the first start request to the last completion (the
	// sum of the walls when runs go one after another).
	Span float64 `json:"span_s"`

	// CPU is the process's user and system time during the measured part;
	// the process holds the server, the simulated cloud and the clients.
	CPU                float64 `json:"cpu_s"`
	CPUPerTransitionMS float64 `json:"cpu_per_transition_ms"`
	PeakRSSBytes       int64   `json:"peak_rss_bytes"`
	Setup              float64 `json:"setup_s"`
	// RunWrites counts the engine's writes of runs while measuring;
	// BytesWrittenPerTransition is the bytes they handed the store (run
	// documents, or summaries and changed parts) per member transition.
	RunWrites                 int64   `json:"run_writes"`
	BytesWrittenPerTransition float64 `json:"bytes_written_per_transition"`
	// CloudRequestsPerUpgrade is the provider's HTTP requests to the
	// cloud per member upgraded, PollsPerUpgrade those that read a
	// long-running operation's status or result. The AKS provider follows
	// an operation by reading the managed cluster, whose read is the
	// operation's end, and reads the status only when that read cannot
	// tell (a failure's code, a read that shows nothing of the step), so
	// its polls are usually 0. CloudRequests has the requests by
	// operation.
	CloudRequestsPerUpgrade float64            `json:"cloud_requests_per_upgrade"`
	PollsPerUpgrade         float64            `json:"polls_per_upgrade"`
	CloudRequests           map[string]float64 `json:"cloud_requests"`
	// The machine: cores, Go version, the date, and a calibration figure
	// measured in the same process just before the scenario.
	machine
	GetRunP50MS      float64 `json:"get_run_p50_ms,omitempty"`
	GetRunP99MS      float64 `json:"get_run_p99_ms,omitempty"`
	ListMembersP50MS float64 `json:"list_members_p50_ms,omitempty"`
	ListMembersP99MS float64 `json:"list_members_p99_ms,omitempty"`
	ProbeRequests    int     `json:"probe_requests,omitempty"`
}

// newResult turns a measurement into a Result.
func newResult(s scenario, o Options, members int, p plan, m *measurement, setup time.Duration) Result {
	res := Result{
		Scenario:      s.Name,
		Store:         o.storeName(),
		Members:       members,
		Runs:          len(p.runs),
		Fleets:        len(p.fleets),
		Clusters:      p.clusters(),
		LatencyMS:     ms(p.latency),
		Jitter:        p.jitter,
		Together:      p.together,
		Exercises:     s.Description,
		Setup:         secs(setup),
		machine:       thisMachine(m.calibration, m.loadBefore, m.loadAfter),
		RunWrites:     m.writes,
		CloudRequests: m.requests,
	}
	if len(p.runs) > 0 {
		res.MembersPerRun = p.runs[0].size()
	}
	var walls, crits []time.Duration
	var ratios []float64
	var critSpan, accept time.Duration
	for i, r := range m.runs {
		walls = append(walls, r.wall())
		crits = append(crits, r.critical)
		accept = max(accept, r.accept())
		if r.critical > 0 {
			ratios = append(ratios, float64(r.wall())/float64(r.critical))
		}
		res.Transitions += 2 * p.runs[i].size()
		if p.together {
			critSpan = max(critSpan, r.critical)
		} else {
			critSpan += r.critical
		}
	}
	res.WallP50 = secs(percentile(walls, 0.5))
	res.WallP90 = secs(percentile(walls, 0.9))
	res.WallMax = secs(slices.Max(walls))
	res.WallMin = secs(slices.Min(walls))
	res.StartAcceptMaxMS = round(ms(accept), 3)
	res.CriticalPath = secs(percentile(crits, 0.5))
	if len(ratios) == len(m.runs) {
		slices.Sort(ratios)
		med := round(ratios[(len(ratios)-1)/2], 4)
		worst := round(ratios[len(ratios)-1], 4)
		res.OverheadRatio, res.OverheadRatioMax = &med, &worst
	}
	res.Span = secs(m.span)
	if res.Transitions > 0 {
		res.OverheadPerTransitionMS = round(ms(m.span-critSpan)/float64(res.Transitions), 4)
		res.CPUPerTransitionMS = round(ms(m.cpu)/float64(res.Transitions), 4)
		res.BytesWrittenPerTransition = round(float64(m.written)/float64(res.Transitions), 1)
		all, polls := m.requests.total()
		upgrades := float64(res.Transitions / 2)
		res.CloudRequestsPerUpgrade = round(all/upgrades, 3)
		res.PollsPerUpgrade = round(polls/upgrades, 3)
	}
	res.Exercises += "; " + s.upgrades + "; " + pollingNote(res.CloudRequestsPerUpgrade, res.PollsPerUpgrade)
	res.CPU = secs(m.cpu)
	res.PeakRSSBytes = m.peak
	if pr := m.probe; pr != nil {
		res.GetRunP50MS = round(ms(percentile(pr.getRun, 0.5)), 3)
		res.GetRunP99MS = round(ms(percentile(pr.getRun, 0.99)), 3)
		res.ListMembersP50MS = round(ms(percentile(pr.listMembers, 0.5)), 3)
		res.ListMembersP99MS = round(ms(percentile(pr.listMembers, 0.99)), 3)
		res.ProbeRequests = len(pr.getRun) + len(pr.listMembers)
	}
	return res
}

// pollingNote says, from what was measured, how the upgrades' operations
// were followed.
func pollingNote(requests, polls float64) string {
	note := fmt.Sprintf("measured: %.2f cloud requests per member upgrade, %.2f of them polls of a long-running operation's status", requests, polls)
	if polls == 0 {
		note += " (each operation was followed by reading the managed cluster, and that read was its end)"
	}
	return note
}

// percentile is the nearest-rank p-quantile (0 for no values).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func secs(d time.Duration) float64 { return round(d.Seconds(), 4) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round(x float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(x*f) / f
}

// tableHeader and row make the readable table Run writes on stderr.
func tableHeader(w io.Writer) {
	fmt.Fprintf(w, "%-20s %-8s %7s %5s %9s %9s %9s %9s %8s %10s %8s %9s\n",
		"SCENARIO", "STORE", "MEMBERS", "RUNS", "WALL P50", "WALL P90", "WALL MAX", "CRITICAL", "RATIO", "OVH/TRANS", "CPU", "PEAK RSS")
}

func (r Result) row(w io.Writer) {
	ratio := "-"
	if r.OverheadRatio != nil {
		ratio = fmt.Sprintf("%.3f", *r.OverheadRatio)
	}
	members := fmt.Sprint(r.Members)
	if r.Fleets > 1 {
		members = fmt.Sprintf("%dx%d", r.Fleets, r.Members)
	}
	fmt.Fprintf(w, "%-20s %-8s %7s %5d %8.3fs %8.3fs %8.3fs %8.3fs %8s %8.3fms %7.2fs %6.0fMiB\n",
		r.Scenario, r.Store, members, r.Runs, r.WallP50, r.WallP90, r.WallMax, r.CriticalPath, ratio,
		r.OverheadPerTransitionMS, r.CPU, float64(r.PeakRSSBytes)/(1<<20))
	if r.ProbeRequests > 0 {
		fmt.Fprintf(w, "%-20s while it ran: GET run p50 %.1fms p99 %.1fms; list members p50 %.1fms p99 %.1fms (%d requests)\n",
			"", r.GetRunP50MS, r.GetRunP99MS, r.ListMembersP50MS, r.ListMembersP99MS, r.ProbeRequests)
	}
}

// describe says in a line what a scenario is about to set up.
func describe(s scenario, p plan, members int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d fleet", s.Name, len(p.fleets))
	if len(p.fleets) != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " of %d members on %d simulated clusters, %d run", members, p.clusters(), len(p.runs))
	if len(p.runs) != 1 {
		b.WriteString("s")
	}
	if len(p.runs) > 0 {
		fmt.Fprintf(&b, " of %d members", p.runs[0].size())
	}
	switch {
	case len(p.runs) > 1 && p.together:
		b.WriteString(" started together")
	case len(p.runs) > 1:
		b.WriteString(" one after another")
	}
	if p.latency > 0 {
		fmt.Fprintf(&b, ", upgrades of %s", p.latency)
		if p.jitter > 0 {
			fmt.Fprintf(&b, " ± %.0f%%", p.jitter*100)
		}
	} else {
		b.WriteString(", instant upgrades")
	}
	return b.String()
}
