package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSmallestScenarioReportsEveryField runs kubefleet-1run on a
// 200-member fleet, as CI does to see that the command works, and checks
// the line it prints.
func TestSmallestScenarioReportsEveryField(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and upgrades 200 simulated clusters")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := Run(ctx, Options{Scenario: "kubefleet-1run", Members: 200, DataDir: t.TempDir()}, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout has %d lines, want one JSON object:\n%s", len(lines), stdout.String())
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &fields); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, lines[0])
	}
	for _, k := range []string{"scenario", "store", "members", "runs", "wall_p50_s", "wall_p90_s", "wall_max_s",
		"critical_path_s", "overhead_ratio", "cpu_s", "peak_rss_bytes", "overhead_per_transition_ms", "transitions",
		"exercises", "run_writes", "bytes_written_per_transition", "cores", "go_version", "date", "calibration_sha256_4k_ns",
		"calibration_engine_us_per_transition", "calibration_provider_us_per_upgrade", "load_avg_1m_before", "load_avg_1m_after", "start_accept_max_ms"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("the result has no %q: %s", k, lines[0])
		}
	}
	var r Result
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Scenario != "kubefleet-1run" || r.Store != "sqlite" || r.Members != 200 || r.Runs != 2 || r.MembersPerRun != 100 || r.Transitions != 400 {
		t.Errorf("result describes %+v; want kubefleet-1run on sqlite, 200 members, 2 runs of 100, 400 transitions", r)
	}
	if !(r.WallMin > 0 && r.WallMin <= r.WallP50 && r.WallP50 <= r.WallP90 && r.WallP90 <= r.WallMax && r.WallMax < 30) {
		t.Errorf("wall times out of order or out of range: min %v p50 %v p90 %v max %v", r.WallMin, r.WallP50, r.WallP90, r.WallMax)
	}
	// The start request's own time is before the wall time, not in it,
	// and the span, from the requests, holds both.
	if r.StartAcceptMaxMS <= 0 || r.Span < r.WallMin+r.WallMax {
		t.Errorf("longest start %vms, span %vs, walls %vs and %vs: want a start that took time, and a span that holds both runs", r.StartAcceptMaxMS, r.Span, r.WallMin, r.WallMax)
	}
	if r.CriticalPath != 0 || r.OverheadRatio != nil {
		t.Errorf("instant upgrades: critical path %v and ratio %v, want 0 and null", r.CriticalPath, r.OverheadRatio)
	}
	if r.OverheadPerTransitionMS <= 0 || r.CPU <= 0 || r.PeakRSSBytes < 1<<20 {
		t.Errorf("overhead %vms per transition, CPU %vs, peak RSS %d bytes: want all positive", r.OverheadPerTransitionMS, r.CPU, r.PeakRSSBytes)
	}
	// Every write of the run is a summary and the parts that changed:
	// far less than the run's document (tens of kilobytes) per transition.
	if r.RunWrites <= 0 || r.BytesWrittenPerTransition <= 0 || r.BytesWrittenPerTransition > 8<<10 {
		t.Errorf("%d writes of runs, %v bytes written per transition: want writes, and under 8 KiB per transition", r.RunWrites, r.BytesWrittenPerTransition)
	}
	if r.CalibrationSHA4KB <= 0 || r.CalibrationEngineUS <= 0 || r.CalibrationProviderUS <= 0 || r.GoVersion == "" || r.Date == "" || r.Cores <= 0 || r.Exercises == "" {
		t.Errorf("the result does not say where and when it was measured: %s", lines[0])
	}
	// One PUT per member upgraded, and the polls the note reports.
	if put := r.CloudRequests["PUT managedClusters"]; put != 200 || r.CloudRequestsPerUpgrade < 1 {
		t.Errorf("cloud requests %v (%v per upgrade): want one managed-cluster PUT for each of the 200 members", r.CloudRequests, r.CloudRequestsPerUpgrade)
	}
	if !strings.Contains(r.Exercises, pollingNote(r.CloudRequestsPerUpgrade, r.PollsPerUpgrade)) {
		t.Errorf("exercises %q does not say what was measured of polling (%v polls per upgrade)", r.Exercises, r.PollsPerUpgrade)
	}
	if !strings.Contains(stderr.String(), "WALL P90") || !strings.Contains(stderr.String(), "kubefleet-1run") {
		t.Errorf("stderr has no table:\n%s", stderr.String())
	}
}

func TestPollingNote(t *testing.T) {
	if got := pollingNote(3, 0); !strings.Contains(got, "3.00 cloud requests") || !strings.Contains(got, "followed by reading the managed cluster") {
		t.Errorf("no polls: %q", got)
	}
	if got := pollingNote(4, 1); !strings.Contains(got, "1.00 of them polls") || strings.Contains(got, "followed by reading the managed cluster") {
		t.Errorf("one poll each: %q", got)
	}
}

func TestCloudRequestsFromMetrics(t *testing.T) {
	before := parseCloudRequests([]byte(`# HELP caravan_provider_requests_total HTTP tries
caravan_provider_requests_total{code="200",operation="GET managedClusters",provider="aks"} 5
caravan_provider_requests_total{code="201",operation="PUT managedClusters",provider="aks"} 2
`))
	after := parseCloudRequests([]byte(`caravan_provider_requests_total{code="200",operation="GET managedClusters",provider="aks"} 9
caravan_provider_requests_total{code="429",operation="GET managedClusters",provider="aks"} 1
caravan_provider_requests_total{code="201",operation="PUT managedClusters",provider="aks"} 4
caravan_provider_requests_total{code="200",operation="GET operations",provider="aks"} 3
caravan_update_runs{state="Running"} 7
`))
	d := after.since(before)
	if d["GET managedClusters"] != 5 || d["PUT managedClusters"] != 2 || d["GET operations"] != 3 || len(d) != 3 {
		t.Errorf("requests since: %v", d)
	}
	if all, polls := d.total(); all != 10 || polls != 3 {
		t.Errorf("total %v, polls %v; want 10 and 3", all, polls)
	}
}

func TestCriticalPath(t *testing.T) {
	const d = 100 * time.Millisecond
	every := func(time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }
	f := fleetPlan{groups: make([]string, 100)}
	// 20, 30 and 50 members at half of each stage at once: two waves per
	// stage.
	if got := criticalPath(kubefleetRun(&f, 0, "r", 0), every(d)); got != 6*d {
		t.Errorf("kubefleet run of %v upgrades: critical path %v, want %v", d, got, 6*d)
	}
	// 10 groups of 10 members one at a time, in one stage.
	w := fleetPlan{groups: make([]string, 100)}
	if got := criticalPath(wideRun(&w, 0, "r", 1, 10), every(d)); got != 10*d {
		t.Errorf("10 groups of 10, one at a time: critical path %v, want %v", got, 10*d)
	}
	// A slow member holds its group's place: members 0 and 10 (group 1
	// of 10) take 1s; the others 100ms.
	slow := func(m int) time.Duration {
		if m%10 == 0 && m < 20 {
			return time.Second
		}
		return d
	}
	if got := criticalPath(wideRun(&w, 0, "r", 1, 10), slow); got != 2*time.Second+8*d {
		t.Errorf("with two slow members in one group: critical path %v, want %v", got, 2*time.Second+8*d)
	}
	// A stage cap below what the groups allow.
	r := kubefleetRun(&f, 0, "r", 0)
	r.strategy.Stages[0].MaxConcurrency = "5"
	if got := criticalPath(r, every(d)); got != 4*d+4*d {
		t.Errorf("first stage capped at 5: critical path %v, want %v", got, 8*d)
	}
}

func TestTimingIsWholeMillisecondsWithinTheJitter(t *testing.T) {
	p := plan{latency: 200 * time.Millisecond, jitter: 0.25}
	seen := map[time.Duration]bool{}
	for m := range 1000 {
		tm := p.timing(0, m)
		if tm.total < 150*time.Millisecond || tm.total > 250*time.Millisecond || tm.total%(opsPerUpgrade*time.Millisecond) != 0 {
			t.Fatalf("member %d takes %v (tag %s), want whole-millisecond operations between 150ms and 250ms", m, tm.total, tm.tag)
		}
		if again := p.timing(0, m); again != tm {
			t.Fatalf("member %d timed %v, then %v", m, tm, again)
		}
		seen[tm.total] = true
	}
	if len(seen) < 20 {
		t.Errorf("1000 members share %d durations; want them spread", len(seen))
	}
	if tm := (plan{}).timing(3, 4); tm.total != 0 || tm.tag != "0.000" {
		t.Errorf("instant upgrades timed %+v", tm)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Scenario: "nope"}, "kubefleet-1run"},
		{Options{}, "no scenario"},
		{Options{Scenario: "scale-10k", Store: "postgres"}, "--postgres-dsn"},
		{Options{Scenario: "scale-10k", Store: "mysql"}, "sqlite or postgres"},
		{Options{Scenario: "scale-10k", Latency: -time.Second}, "negative"},
		{Options{Scenario: "kubefleet-1run", Members: 150, Runs: 2}, "at least 200 members"},
		{Options{Scenario: "scale-10k", Members: 100}, "at least 500"},
	} {
		err := Run(context.Background(), tc.opts, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v, want an error mentioning %q", tc.opts, err, tc.want)
		}
	}
}

func TestScenariosAreListed(t *testing.T) {
	var names []string
	for _, s := range Scenarios() {
		if s.Description == "" {
			t.Errorf("scenario %s has no description", s.Name)
		}
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "kubefleet-1run kubefleet-100runs scale-10k scaling overhead-realistic" {
		t.Errorf("scenarios %s", got)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Second)
	}
	for p, want := range map[float64]time.Duration{0.5: 5 * time.Second, 0.9: 9 * time.Second, 0.99: 10 * time.Second, 0: time.Second} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p*100, got, want)
		}
	}
}
