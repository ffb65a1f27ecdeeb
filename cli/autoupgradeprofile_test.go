package cli

import (
	"strings"
	"testing"
)

func TestAutoUpgradeProfileCommands(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"a": "", "b": ""}, nil)
	out := ts.run("autoupgradeprofile", "create", "-g", "rg", "-f", "f1", "-n", "pin", "--channel", "TargetKubernetesVersion", "--target-kubernetes-version", "1.32").ok(t).stdout
	for _, want := range []string{"Auto-upgrade profile pin in fleet f1", "TargetKubernetesVersion 1.32", "none: one member at a time", "Last trigger: never"} {
		if !strings.Contains(out, want) {
			t.Errorf("create printed no %q:\n%s", want, out)
		}
	}
	list := ts.run("autoupgradeprofile", "list", "-g", "rg", "-f", "f1").ok(t).stdout
	if !strings.Contains(list, "pin") || !strings.Contains(list, "TargetKubernetesVersion 1.32") {
		t.Errorf("list:\n%s", list)
	}
	gen := ts.run("autoupgradeprofile", "generate-update-run", "-g", "rg", "-f", "f1", "-n", "pin").ok(t).stdout
	if !strings.Contains(gen, "Created update run pin-") || !strings.Contains(gen, "caravan updaterun start") {
		t.Errorf("generate-update-run:\n%s", gen)
	}
	run := ts.run("updaterun", "list", "-g", "rg", "-f", "f1", "-o", "json").ok(t).stdout
	if !strings.Contains(run, `"kubernetesVersion": "1.32.6"`) && !strings.Contains(run, `"kubernetesVersion":"1.32.6"`) {
		t.Errorf("the generated run does not target 1.32.6, the newest 1.32 patch:\n%s", run)
	}
	show := ts.run("autoupgradeprofile", "show", "-g", "rg", "-f", "f1", "-n", "pin").ok(t).stdout
	if !strings.Contains(show, "Enabled:      true") {
		t.Errorf("show:\n%s", show)
	}
	ts.run("autoupgradeprofile", "delete", "-g", "rg", "-f", "f1", "-n", "pin").ok(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--channel", "Fast"}, `--channel: "Fast" is not a channel`},
		{[]string{"--channel", "TargetKubernetesVersion"}, "--target-kubernetes-version: the TargetKubernetesVersion channel needs a target minor"},
		{[]string{}, "--channel"},
		{[]string{"--channel", "Stable", "--update-strategy-id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/other/updateStrategies/x"}, "properties.updateStrategyId"},
	} {
		args := append([]string{"autoupgradeprofile", "create", "-g", "rg", "-f", "f1", "-n", "bad"}, tc.args...)
		r := ts.run(args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want one naming %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// A Rapid run skips, with the reason, a member two minors behind, and
// upgrades the others; the engine finishes a run whose members start
// Skipped.
func TestGeneratedRunSkipsMembersItCannotTake(t *testing.T) {
	ts := startServer(t)
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(t)
	fast := map[string]string{"sim-upgrade-seconds": "0.1"}
	old := ts.cluster("old", "eastus", "1.31.4", "AKSUbuntu-2204gen2containerd-202502.09.0", fast)
	cur := ts.cluster("cur", "eastus", "1.32.6", "AKSUbuntu-2204gen2containerd-202502.09.0", fast)
	ts.run("member", "create", "-g", "rg", "-f", "f1", "-n", "old", "--cluster-id", old).ok(t)
	ts.run("member", "create", "-g", "rg", "-f", "f1", "-n", "cur", "--cluster-id", cur).ok(t)
	ts.run("autoupgradeprofile", "create", "-g", "rg", "-f", "f1", "-n", "fast", "--channel", "Rapid").ok(t)
	gen := ts.run("autoupgradeprofile", "generate-update-run", "-g", "rg", "-f", "f1", "-n", "fast", "-o", "json").ok(t).stdout
	id := gen[strings.Index(gen, "/subscriptions"):]
	name := strings.TrimRight(id[strings.LastIndex(id, "/")+1:], "\"}\n ")
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", name).ok(t)
	watch := ts.run("updaterun", "watch", "-g", "rg", "-f", "f1", "-n", name).ok(t).stdout
	if !strings.Contains(watch, "Completed") {
		t.Fatalf("watch:\n%s", watch)
	}
	show := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", name, "-o", "json").ok(t).stdout
	if !strings.Contains(show, "skipped by auto-upgrade profile fast: runs Kubernetes 1.31.4, 2 minors behind the channel's 1.33.2") {
		t.Errorf("the old member's skip has no reason:\n%s", show)
	}
	members := ts.run("member", "list", "-g", "rg", "-f", "f1").ok(t).stdout
	if !strings.Contains(members, "1.33.2") || !strings.Contains(members, "1.31.4") {
		t.Errorf("members after the run:\n%s", members)
	}
}
