package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
)

var exportLine = regexp.MustCompile(`export CARAVAN_ADDR=(\S+) CARAVAN_TOKEN=(\S+)`)

// TestDemo runs the real demo command with a small, fast fleet and
// --keep: it must complete the upgrade and sum it up, and the server it
// keeps must answer the commands it prints. Then it is stopped as Ctrl-C
// would.
func TestDemo(t *testing.T) {
	_, out, stop := background(t, nil, "Press Ctrl-C to stop it", true, "demo", "--members", "4", "--speed", "4", "--keep")
	text := out.String()
	for _, want := range []string{
		"caravan demo: a Full upgrade of 4 simulated AKS clusters to Kubernetes 1.32",
		"Strategy  safe-rollout: test → canary → production",
		"run    upgrade-to-1-32",
		"Summary: update run upgrade-to-1-32 Completed",
		"4 of 4 members upgraded",
		"1.31.4 → 1.32.6",
		"→ 202503.18.0",
		"Node images: Consistent picks",
		"AKSUbuntu-2204gen2containerd  202505.14.0",
		"southeastasia has nothing newer than 202503.18.0",
		"Stages:",
		"production  prod-eastus, prod-southeastasia",
		"The simulated cloud recorded",
		"no cluster's control plane was upgraded twice",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", text)
	}
	m := exportLine.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no export line in:\n%s", text)
	}
	env := map[string]string{"CARAVAN_ADDR": m[1], "CARAVAN_TOKEN": m[2]}
	members := runWith(t, env, "member", "list", "-g", "demo", "-f", "demo-fleet").ok(t).stdout
	if strings.Count(members, "\n") != 5 || !strings.Contains(members, "test-eastus-1") {
		t.Errorf("member list on the kept server:\n%s", members)
	}
	runWith(t, env, "updaterun", "show", "-g", "demo", "-f", "demo-fleet", "-n", "upgrade-to-1-32").ok(t)
	if code := stop(); code != 0 {
		t.Fatalf("demo exited %d", code)
	}
}

func TestDemoRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"demo", "--members", "2"}, {"demo", "--speed", "0"}} {
		if r := runWith(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
}

func TestPlanDemo(t *testing.T) {
	for _, n := range []int{3, 4, 12, 50} {
		p := planDemo(n, 1)
		if len(p.clusters) != n {
			t.Fatalf("%d clusters planned for %d", len(p.clusters), n)
		}
		groups := map[string]int{}
		for _, c := range p.clusters {
			groups[c.group]++
		}
		for _, st := range p.strategy.Stages {
			for _, g := range st.Groups {
				if groups[g.Name] == 0 {
					t.Errorf("n=%d: group %s has no member", n, g.Name)
				}
				delete(groups, g.Name)
			}
		}
		if len(groups) > 0 {
			t.Errorf("n=%d: groups in no stage: %v", n, groups)
		}
	}
}

// TestDemoSummaryNamesKeptImages: a pool that kept a newer image than the
// Consistent choice is shown as kept, from what the cloud showed, and the
// summary does not claim it moved to the choice.
func TestDemoSummaryNamesKeptImages(t *testing.T) {
	ub := simcloud.FamilyUbuntu2204
	plan := demoPlan{clusters: []demoCluster{
		{name: "east", region: "eastus", families: []string{ub}},
		{name: "sea", region: "southeastasia", families: []string{ub}},
	}}
	member := func(name, from, to string, kept bool) fleet.MemberStatus {
		return fleet.MemberStatus{
			Name:     name,
			Status:   fleet.UpdateStatus{State: fleet.Completed},
			Target:   &fleet.MemberTarget{KubernetesVersion: "1.32.6", NodeImageVersions: map[string]string{ub: ub + "-202503.18.0"}},
			Observed: &fleet.ObservedCluster{KubernetesVersion: "1.32.6", NodePools: []fleet.ObservedPool{{Name: "nodepool1", NodeImageVersion: ub + "-" + to, KeptNewerImage: kept}}},
		}
	}
	run := &fleet.UpdateRun{Name: "r", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: fleet.Completed},
		Stages: []fleet.StageStatus{{Name: "s", Groups: []fleet.GroupStatus{{Name: "g", Members: []fleet.MemberStatus{
			member("east", "202505.14.0", "202505.14.0", true),
			member("sea", "202501.12.0", "202503.18.0", false),
		}}}}},
		NodeImageSelection: &fleet.NodeImageSelectionStatus{
			SelectedNodeImageVersions: []fleet.NodeImageVersion{{Version: ub + "-202503.18.0"}},
			Message:                   "node pools of the finished members are on 2 images",
		},
	}}}
	before := []fleet.Member{
		{Name: "east", Properties: fleet.MemberProperties{Cluster: &fleet.ClusterInfo{KubernetesVersion: "1.31.8", NodeImageVersions: []string{ub + "-202505.14.0"}}}},
		{Name: "sea", Properties: fleet.MemberProperties{Cluster: &fleet.ClusterInfo{KubernetesVersion: "1.31.8", NodeImageVersions: []string{ub + "-202501.12.0"}}}},
	}
	catalog := []client.SimulatorRegion{
		{Name: "eastus", LatestNodeImages: map[string]string{ub: ub + "-202505.14.0"}},
		{Name: "southeastasia", LatestNodeImages: map[string]string{ub: ub + "-202503.18.0"}},
	}
	var b strings.Builder
	summarize(&b, summaryInput{run: run, before: before, plan: plan, catalog: catalog})
	out := b.String()
	for _, want := range []string{
		"202505.14.0 (kept: newer than the choice)",
		"202501.12.0 → 202503.18.0",
		"1 node pools in eastus already ran a newer image and kept it",
		"Result: node pools of the finished members are on 2 images.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "moved to it") || strings.Contains(out, "202505.14.0 → 202503.18.0") {
		t.Errorf("summary claims the eastus pool moved to the choice:\n%s", out)
	}
}

func TestDemoAutoUpgrade(t *testing.T) {
	r := runWith(t, nil, "demo", "--auto-upgrade", "--members", "3", "--speed", "20")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Profile   nightly-images: channel NodeImage, enabled",
		"The cloud now publishes node images AKSUbuntu-2204gen2containerd-202506.11.0",
		"Profile nightly-images noticed the release",
		"Summary: update run nightly-images-auto-",
		"3 of 3 members upgraded",
		"→ 202506.11.0",
		"last trigger Succeeded",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo --auto-upgrade printed no %q:\n%s", want, r.stdout)
		}
	}
}
