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
