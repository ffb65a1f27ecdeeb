package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchCommandRunsTheSmallestScenario runs `caravan bench` as CI
// does, to see that the command works: one JSON line with the figures on
// stdout, the table on stderr; a missing scenario is a usage error.
func TestBenchCommandRunsTheSmallestScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark scenario")
	}
	page := filepath.Join(t.TempDir(), "benchmarks.md")
	r := runWith(t, map[string]string{}, "bench", "--scenario", "kubefleet-1run", "--members", "200", "--markdown", page)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &line); err != nil {
		t.Fatalf("stdout is not one JSON line: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"scenario", "store", "members", "runs", "wall_p50_s", "wall_p90_s", "wall_max_s", "critical_path_s", "overhead_ratio", "cpu_s", "peak_rss_bytes"} {
		if _, ok := line[k]; !ok {
			t.Errorf("the result has no %q", k)
		}
	}
	if line["scenario"] != "kubefleet-1run" || line["members"].(float64) != 200 || line["wall_p90_s"].(float64) <= 0 {
		t.Errorf("result %v", line)
	}
	if !strings.Contains(r.stderr, "WALL P90") {
		t.Errorf("no table on stderr:\n%s", r.stderr)
	}
	// The page says how it was made, what was measured and what was not.
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("no page written: %v", err)
	}
	for _, want := range []string{
		"These figures came from `caravan bench --scenario kubefleet-1run --members 200 --markdown " + page + "`.",
		"### `kubefleet-1run`: a fleet of 200 members, 2 runs of 100 one after another, instant upgrades, sqlite",
		"| `kubefleet-1run` wall p90 ≤ 0.1 s |",
		"| `scale-10k` ≤ 0.25 ms per member transition | - | not measured |",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the page has no %q:\n%s", want, b)
		}
	}
	if r := runWith(t, map[string]string{}, "bench", "--scenario", "kubefleet-1run", "--repeat", "-1"); r.code == 0 || !strings.Contains(r.stderr, "repeat -1 is negative") {
		t.Errorf("bench --repeat -1: exit %d, %s", r.code, r.stderr)
	}
	if r := runWith(t, map[string]string{}, "bench"); r.code != 2 || !strings.Contains(r.stderr, "--scenario is required") {
		t.Errorf("bench without a scenario: exit %d, %s", r.code, r.stderr)
	}
}
