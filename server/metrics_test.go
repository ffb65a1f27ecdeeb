package server_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// scrape reads /metrics into a map from series (as printed, such as
// caravan_update_runs{state="Completed"}) to value.
func scrape(t *testing.T, url, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sumOf adds the series of a metric whose labels contain every one of
// labels.
func sumOf(m map[string]float64, name string, labels ...string) float64 {
	var sum float64
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(series, l)
		}
		if ok {
			sum += v
		}
	}
	return sum
}

func TestMetricsCountARealRunOnTheSimulatedCloud(t *testing.T) {
	s, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "secret", Simulate: true,
		// Faults show as 429s and 5xx in the provider's requests; at
		// this speed the cloud asks for a millisecond's wait.
		SimFaultRate: 0.3, SimSpeed: 1000,
		RecheckInterval: time.Second, MetricsRequireToken: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if resp, err := http.Get(s.URL + "/metrics"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without a token: %v %v, want 401", resp.StatusCode, err)
	}
	c, ref := simRunIn(t, s, "ok", 3, 0)
	before := scrape(t, s.URL, "secret")
	for series, want := range map[string]float64{
		`caravan_update_runs{state="NotStarted"}`:                                           1,
		`caravan_update_runs{state="Completed"}`:                                            0,
		`caravan_member_upgrades_total{result="completed",upgrade_type="ControlPlaneOnly"}`: 0,
	} {
		if before[series] != want {
			t.Errorf("before: %s = %v, want %v", series, before[series], want)
		}
	}
	ctx := context.Background()
	if _, err := c.StartRun(ctx, ref, "r"); err != nil {
		t.Fatal(err)
	}
	run := waitState(t, c, ref, "r", fleet.Completed)
	_, failRef := simRunIn(t, s, "bad", 2, 1)
	if _, err := c.StartRun(ctx, failRef, "r"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, failRef, "r", fleet.Failed)

	// The feed reaches the metrics a moment after the store has the run.
	var after map[string]float64
	want := map[string]float64{
		`caravan_update_runs{state="NotStarted"}`:                                                           0,
		`caravan_update_runs{state="Completed"}`:                                                            1,
		`caravan_update_runs{state="Failed"}`:                                                               1,
		`caravan_update_runs{state="Running"}`:                                                              0,
		`caravan_member_upgrades_total{result="completed",upgrade_type="ControlPlaneOnly"}`:                 4,
		`caravan_member_upgrades_total{result="failed",upgrade_type="ControlPlaneOnly"}`:                    1,
		`caravan_member_upgrade_duration_seconds_count{result="completed",upgrade_type="ControlPlaneOnly"}`: 4,
		`caravan_member_upgrade_duration_seconds_count{result="failed",upgrade_type="ControlPlaneOnly"}`:    1,
		// One member after another in each group: 2 successors in the
		// first run, 1 in the second.
		`caravan_engine_transition_seconds_count`: 3,
		`caravan_update_runs_failed_total`:        1,
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = scrape(t, s.URL, "secret")
		bad := ""
		for series, v := range want {
			if after[series] != v {
				bad += series + " = " + strconv.FormatFloat(after[series], 'g', -1, 64) + ", want " + strconv.FormatFloat(v, 'g', -1, 64) + "\n"
			}
		}
		if bad == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the runs:\n%s", bad)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if n := sumOf(after, "caravan_member_upgrade_started_timestamp_seconds"); n != 0 {
		t.Errorf("members still shown upgrading after both runs ended: %v", n)
	}

	// Durations: each member's upgrade takes at least the 0.05 s its
	// cluster's tag sets, and no more than the run took.
	sum := after[`caravan_member_upgrade_duration_seconds_sum{result="completed",upgrade_type="ControlPlaneOnly"}`]
	st := run.Properties.Status.Status
	if total := st.CompletedTime.Sub(*st.StartTime).Seconds(); sum < 3*0.05 || sum > total+1 {
		t.Errorf("duration sum of the first run's 3 members %v s; want between 0.15 s and the run's %v s", sum, total)
	}

	// Provider requests: one managed-cluster PUT accepted per upgrade the
	// simulated cloud records, and the faults it injected show by code.
	ops, err := c.SimulatorOperations(ctx, simcloud.OperationFilter{Kind: simcloud.KindUpgradeControlPlane})
	if err != nil {
		t.Fatal(err)
	}
	accepted := sumOf(after, "caravan_provider_requests_total", `operation="PUT managedClusters"`, `code="200"`) +
		sumOf(after, "caravan_provider_requests_total", `operation="PUT managedClusters"`, `code="201"`)
	if len(ops) != 5 || accepted != float64(len(ops)) {
		t.Errorf("accepted managed-cluster PUTs %v, simulated cloud's control plane upgrades %d; want 5 of each", accepted, len(ops))
	}
	faults := sumOf(after, "caravan_provider_requests_total", `code="429"`) + sumOf(after, "caravan_provider_requests_total", `code="5`)
	if faults == 0 {
		t.Errorf("no 429 or 5xx among the provider's requests with a 30%% fault rate:\n%v", after)
	}
	if sumOf(after, "caravan_provider_requests_total", `provider="aks"`, `operation="GET managedClusters"`) == 0 {
		t.Error("no managed-cluster reads counted")
	}
}
