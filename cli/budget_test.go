package cli

import (
	"strings"
	"testing"
)

// TestFailureBudgetAgainstTheSimulatedCloud runs a stage that allows one
// failure on a real server and the simulated cloud: one cluster tagged to
// fail lets the run complete with failureCount 1, visibly; a second one
// fails the run.
func TestFailureBudgetAgainstTheSimulatedCloud(t *testing.T) {
	ts := startServer(t)
	fast := map[string]string{"sim-upgrade-seconds": "0.2"}
	failing := map[string]string{"sim-upgrade-seconds": "0.2", "sim-fail-upgrade": "true"}
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(t)
	add := func(name, group string, tags map[string]string) {
		id := ts.cluster(name, "eastus", "1.31.4", "AKSUbuntu-2204gen2containerd-202502.09.0", tags)
		ts.run("member", "create", "-g", "rg", "-f", "f1", "-n", name, "--cluster-id", id, "--update-group", group).ok(t)
	}
	add("a-1", "canary", failing)
	add("a-2", "canary", fast)
	add("a-3", "canary", fast)
	add("p-1", "prod", fast)
	add("z-1", "zeta", failing)
	add("z-2", "zeta", failing)
	stages := writeFile(t, "stages.json", `{"stages":[{"name":"canary","maxAllowedFailures":"1","groups":[{"name":"canary"}]},{"name":"prod","groups":[{"name":"prod"}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", stages).ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	show := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	for _, want := range []string{"Update run r1 in fleet f1: Completed with 1 failed member (within the failure budget)", "the run goes on"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, show.stdout)
		}
	}
	js := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1", "-o", "json").ok(t).stdout
	if strings.Count(js, `"failureCount": 1`) != 3 {
		t.Errorf("want failureCount 1 on run, stage and group:\n%s", js)
	}

	// Two failures in a stage that allows one fail the run.
	stages2 := writeFile(t, "stages2.json", `{"stages":[{"name":"zeta","groups":[{"name":"zeta","maxAllowedFailures":"1","maxConcurrency":"2"}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r2", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", stages2).ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r2").ok(t)
	if r := ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r2"); r.code == 0 {
		t.Fatalf("a run over its failure budget ended well:\n%s", r.stdout)
	}
	show2 := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r2").ok(t)
	if !strings.Contains(show2.stdout, "Failed with 2 failed members") {
		t.Errorf("show of the failed run:\n%s", show2.stdout)
	}
	bad := writeFile(t, "bad.json", `{"stages":[{"name":"zeta","groups":[{"name":"zeta","maxAllowedFailures":"5"}]}]}`)
	if r := ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r3", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", bad); r.code == 0 || !strings.Contains(r.stderr, "maxAllowedFailures") {
		t.Errorf("a budget above the group's size: %d %s", r.code, r.stderr)
	}
}
