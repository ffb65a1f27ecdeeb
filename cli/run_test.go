package cli

import (
	"context"
	"strings"
	"testing"
)

// TestRunLifecycle creates, starts, watches, waits for and shows a run on
// a real server, and checks every member change shows as a line.
func TestRunLifecycle(t *testing.T) {
	ts := startServer(t)
	fast := map[string]string{"sim-upgrade-seconds": "0.2"}
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "eu-2": "prod", "us-1": "prod"}, fast)
	stages := writeFile(t, "stages.json", `{"stages":[{"name":"canary","groups":[{"name":"canary"}],"afterStageWaitInSeconds":1},{"name":"prod","groups":[{"name":"prod","maxConcurrency":"2"}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "Full", "--kubernetes-version", "1.32", "--stages", stages).ok(t)
	start := ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	if !strings.Contains(start.stdout, "Started update run r1; it is Running") {
		t.Errorf("start said %q", start.stdout)
	}
	watch := ts.run("updaterun", "watch", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	for _, want := range []string{
		"run    r1      Running",
		"stage  canary  Running",
		"member eu-1    Completed   upgraded to Kubernetes 1.32.6",
		"wait   canary  Running     after-stage wait of 1s",
		"wait   canary  Completed",
		"member eu-2    Completed",
		"member us-1    Completed",
		"stage  prod    Completed",
		"run    r1      Completed   took",
	} {
		if !strings.Contains(watch.stdout, want) {
			t.Errorf("watch output lacks %q:\n%s", want, watch.stdout)
		}
	}
	// A member ends before its group, and a group before its stage.
	if i, j := strings.Index(watch.stdout, "member eu-1    Completed"), strings.Index(watch.stdout, "group  canary  Completed"); i < 0 || j < i {
		t.Errorf("member and group ends out of order:\n%s", watch.stdout)
	}
	ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	show := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	for _, want := range []string{"Update run r1 in fleet f1: Completed", "Progress:  3 of 3 members done (3 upgraded)", "│  └─ eu-1", "upgraded to Kubernetes 1.32.6", "└─ after-stage wait 1s"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, show.stdout)
		}
	}
	again := ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1")
	if again.code != ExitError || !strings.Contains(again.stderr, "update run r1 has completed") {
		t.Errorf("second start: %d %s", again.code, again.stderr)
	}
	js := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1", "-o", "json").ok(t).stdout
	if !strings.Contains(js, `"state": "Completed"`) {
		t.Errorf("json:\n%s", js)
	}
	ts.run("updaterun", "delete", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	if r := ts.run("updaterun", "list", "-g", "rg", "-f", "f1").ok(t); !strings.Contains(r.stdout, "no update runs") {
		t.Errorf("list after delete: %s", r.stdout)
	}
}

// TestRunFailureExitCode checks that wait and watch exit 3 and say why
// when a member's upgrade fails.
func TestRunFailureExitCode(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"bad-1": ""}, map[string]string{"sim-upgrade-seconds": "0.1", "sim-fail-upgrade": "true"})
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32").ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	w := ts.run("updaterun", "watch", "-g", "rg", "-f", "f1", "-n", "r1")
	if w.code != ExitRunFailed || !strings.Contains(w.stderr, "update run r1 failed: member bad-1 failed") {
		t.Fatalf("watch: exit %d\n%s\n%s", w.code, w.stdout, w.stderr)
	}
	if !strings.Contains(w.stdout, "member bad-1    Failed      upgrade failed: SimulatedUpgradeFailure") {
		t.Errorf("watch output:\n%s", w.stdout)
	}
	if r := ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1"); r.code != ExitRunFailed || r.stdout != "" {
		t.Errorf("wait: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestStopSkipAndTimeout stops a run while a member upgrades, checks wait
// exits 4, skips the rest and resumes it to completion; and checks that
// --timeout ends a wait with exit code 5.
func TestStopSkipAndTimeout(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": "", "b": "", "c": ""}, map[string]string{"sim-upgrade-seconds": "1"})
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32").ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	if r := ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1", "--timeout", "100ms"); r.code != ExitTimeout || !strings.Contains(r.stderr, "did not end within 100ms") {
		t.Errorf("wait with timeout: exit %d %s", r.code, r.stderr)
	}
	stop := ts.run("updaterun", "stop", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	if !strings.Contains(stop.stdout, "it is Stopping") && !strings.Contains(stop.stdout, "it is Stopped") {
		t.Errorf("stop said %q", stop.stdout)
	}
	w := ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1")
	if w.code != ExitRunStopped || !strings.Contains(w.stderr, "resume it with `caravan updaterun start -g rg -f f1 -n r1`") {
		t.Fatalf("wait on a stopped run: exit %d %s", w.code, w.stderr)
	}
	skip := ts.run("updaterun", "skip", "-g", "rg", "-f", "f1", "-n", "r1", "--targets", "Member:b", "member:c").ok(t)
	if !strings.Contains(skip.stdout, "Skipped targets in update run r1") {
		t.Errorf("skip said %q", skip.stdout)
	}
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	ts.run("updaterun", "wait", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	show := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1").ok(t).stdout
	if !strings.Contains(show, "1 upgraded, 2 skipped") {
		t.Errorf("show:\n%s", show)
	}
}

// TestWatchLive draws the run on a (pretend) terminal: the tree is
// redrawn in place with progress bars.
func TestWatchLive(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": "", "b": ""}, map[string]string{"sim-upgrade-seconds": "0.2"})
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32").ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	r := runCtx(context.Background(), t, ts.env, true, "updaterun", "watch", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	for _, want := range []string{"\x1b[?25l", "\x1b[J", "████████████████████████ 2 of 2 members done", "██████████ 2/2", "\x1b[?25h"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("live output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestWatchInterrupted checks that canceling the context (Ctrl-C) ends a
// watch with exit code 130 and leaves the run going.
func TestWatchInterrupted(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": ""}, nil)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32").ok(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runCtx(ctx, t, ts.env, false, "updaterun", "watch", "-g", "rg", "-f", "f1", "-n", "r1")
	if r.code != ExitInterrupted {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
}
