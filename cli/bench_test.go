package cli

import (
	"encoding/json"
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
	r := runWith(t, map[string]string{}, "bench", "--scenario", "kubefleet-1run", "--members", "200")
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
	if r := runWith(t, map[string]string{}, "bench"); r.code != 2 || !strings.Contains(r.stderr, "--scenario is required") {
		t.Errorf("bench without a scenario: exit %d, %s", r.code, r.stderr)
	}
}
