package fleet_test

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

func TestValidateStrategy(t *testing.T) {
	st := func(stages ...fleet.Stage) *fleet.RunStrategy { return &fleet.RunStrategy{Stages: stages} }
	g := func(names ...string) []fleet.Group {
		var out []fleet.Group
		for _, n := range names {
			out = append(out, fleet.Group{Name: n})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		s    *fleet.RunStrategy
		want string
	}{
		{"no stages", st(), "properties.strategy.stages: a strategy needs at least one stage"},
		{"bad stage name", st(fleet.Stage{Name: "Canary", Groups: g("a")}), `properties.strategy.stages[0].name: "Canary" is not a valid name`},
		{"long name", st(fleet.Stage{Name: strings.Repeat("a", 51), Groups: g("a")}), "is 51 characters long; the limit is 50"},
		{"duplicate stage", st(fleet.Stage{Name: "s", Groups: g("a")}, fleet.Stage{Name: "s", Groups: g("b")}), `properties.strategy.stages[1].name: stage "s" is already defined at stages[0]`},
		{"group in two stages", st(fleet.Stage{Name: "canary", Groups: g("prod")}, fleet.Stage{Name: "later", Groups: g("prod")}), `properties.strategy.stages[1].groups[0].name: group "prod" is already in stage "canary"`},
		{"group twice in a stage", st(fleet.Stage{Name: "s", Groups: g("a", "a")}), `properties.strategy.stages[0].groups[1].name: group "a" is already in stage "s"`},
		{"no groups", st(fleet.Stage{Name: "s"}), `properties.strategy.stages[0].groups: stage "s" needs at least one group`},
		{"negative wait", st(fleet.Stage{Name: "s", Groups: g("a"), AfterStageWaitInSeconds: -1}), "properties.strategy.stages[0].afterStageWaitInSeconds: -1 is out of range"},
		{"bad stage concurrency", st(fleet.Stage{Name: "s", Groups: g("a"), MaxConcurrency: "0"}), `properties.strategy.stages[0].maxConcurrency: "0" is not a valid concurrency`},
		{"bad group percent", st(fleet.Stage{Name: "s", Groups: []fleet.Group{{Name: "a", MaxConcurrency: "150%"}}}), `properties.strategy.stages[0].groups[0].maxConcurrency: "150%" is not a valid percentage`},
		{"bad budget", st(fleet.Stage{Name: "s", Groups: []fleet.Group{{Name: "a", MaxAllowedFailures: "-1"}}}), `properties.strategy.stages[0].groups[0].maxAllowedFailures: "-1" is not a valid failure budget`},
		{"bad budget percent", st(fleet.Stage{Name: "s", Groups: g("a"), MaxAllowedFailures: "101%"}), `properties.strategy.stages[0].maxAllowedFailures: "101%" is not a valid percentage`},
		{"unknown gate type", st(fleet.Stage{Name: "s", Groups: g("a"), BeforeGates: []fleet.GateConfiguration{{Type: "Vote"}}}), `properties.strategy.stages[0].beforeGates[0].type: "Vote" is not a gate type`},
		{"gate without type", st(fleet.Stage{Name: "s", Groups: []fleet.Group{{Name: "a", AfterGates: []fleet.GateConfiguration{{DisplayName: "x"}}}}}), `properties.strategy.stages[0].groups[0].afterGates[0].type: a gate type is required`},
		{"scheduled gate without schedule", st(fleet.Stage{Name: "s", Groups: g("a"), AfterGates: []fleet.GateConfiguration{{Type: fleet.GateScheduledStart}}}), `properties.strategy.stages[0].afterGates[0].scheduledStartConfiguration: a ScheduledStart gate needs`},
		{"scheduled gate bad day", st(fleet.Stage{Name: "s", Groups: g("a"), BeforeGates: []fleet.GateConfiguration{{Type: fleet.GateScheduledStart, ScheduledStartConfiguration: &fleet.ScheduledStart{StartDay: "Someday", StartTime: "09:00", UTCOffset: "+00:00"}}}}), `beforeGates[0].scheduledStartConfiguration.startDay: "Someday" is not a day of the week`},
		{"scheduled gate bad offset", st(fleet.Stage{Name: "s", Groups: g("a"), BeforeGates: []fleet.GateConfiguration{{Type: fleet.GateScheduledStart, ScheduledStartConfiguration: &fleet.ScheduledStart{StartDay: "Monday", StartTime: "09:00", UTCOffset: "+15:00"}}}}), `beforeGates[0].scheduledStartConfiguration.utcOffset: "+15:00" is not a UTC offset`},
		{"approval gate with schedule", st(fleet.Stage{Name: "s", Groups: g("a"), BeforeGates: []fleet.GateConfiguration{{Type: fleet.GateApproval, ScheduledStartConfiguration: &fleet.ScheduledStart{}}}}), `beforeGates[0].scheduledStartConfiguration: only a ScheduledStart gate`},
		{"gates", st(fleet.Stage{Name: "s", Groups: []fleet.Group{{Name: "a", BeforeGates: []fleet.GateConfiguration{{Type: fleet.GateApproval}}}}, AfterGates: []fleet.GateConfiguration{{Type: fleet.GateApproval, DisplayName: "ok"}}}), ""},
		{"valid", st(fleet.Stage{Name: "s", Groups: []fleet.Group{{Name: "a", MaxConcurrency: "25%"}}, MaxConcurrency: "3", AfterStageWaitInSeconds: 60}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fleet.ValidateStrategy("properties.strategy", tc.s)
			check(t, err, tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	up := func(typ fleet.UpgradeType, v string, sel *fleet.NodeImageSelection) fleet.ManagedClusterUpdate {
		return fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: typ, KubernetesVersion: v}, NodeImageSelection: sel}
	}
	custom := func(vs ...string) *fleet.NodeImageSelection {
		s := &fleet.NodeImageSelection{Type: fleet.NodeImageCustom}
		for _, v := range vs {
			s.CustomNodeImageVersions = append(s.CustomNodeImageVersions, fleet.NodeImageVersion{Version: v})
		}
		return s
	}
	for _, tc := range []struct {
		name string
		u    fleet.ManagedClusterUpdate
		want string
	}{
		{"full needs version", up(fleet.UpgradeFull, "", nil), "properties.managedClusterUpdate.upgrade.kubernetesVersion: a Full upgrade needs a Kubernetes version"},
		{"control plane needs version", up(fleet.UpgradeControlPlaneOnly, "", nil), "a ControlPlaneOnly upgrade needs a Kubernetes version"},
		{"bad version", up(fleet.UpgradeFull, "1.x", nil), `"1.x" is not a Kubernetes version`},
		{"node image forbids version", up(fleet.UpgradeNodeImageOnly, "1.30", nil), "a NodeImageOnly upgrade takes no Kubernetes version"},
		{"no type", up("", "", nil), "properties.managedClusterUpdate.upgrade.type: an upgrade type is required"},
		{"bad type", up("Partial", "", nil), `"Partial" is not an upgrade type`},
		{"custom needs versions", up(fleet.UpgradeNodeImageOnly, "", custom()), "type Custom needs at least one node image version"},
		{"custom bad version", up(fleet.UpgradeNodeImageOnly, "", custom("ubuntu")), `customNodeImageVersions[0].version: "ubuntu" is not a node image version`},
		{"custom two per family", up(fleet.UpgradeNodeImageOnly, "", custom("AKSUbuntu-2204gen2containerd-202410.15.0", "AKSUbuntu-2204gen2containerd-202409.01.0")), "customNodeImageVersions[1].version: image family AKSUbuntu-2204gen2containerd already has a version at customNodeImageVersions[0]"},
		{"latest forbids custom versions", up(fleet.UpgradeNodeImageOnly, "", &fleet.NodeImageSelection{Type: fleet.NodeImageLatest, CustomNodeImageVersions: []fleet.NodeImageVersion{{Version: "A-1"}}}), "custom node image versions are only allowed with type Custom"},
		{"bad selection", up(fleet.UpgradeNodeImageOnly, "", &fleet.NodeImageSelection{Type: "Oldest"}), `"Oldest" is not a node image selection type`},
		{"control plane and consistent", up(fleet.UpgradeControlPlaneOnly, "1.31", &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent}), "has no effect"},
		{"valid full", up(fleet.UpgradeFull, "1.30", &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent}), ""},
		{"valid custom", up(fleet.UpgradeNodeImageOnly, "", custom("AKSUbuntu-2204gen2containerd-202410.15.0", "AKSAzureLinux-V3gen2-202410.15.0")), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, fleet.ValidateUpdate("properties.managedClusterUpdate", tc.u), tc.want)
		})
	}
}

func TestNewRunStatus(t *testing.T) {
	members := []fleet.Member{
		{Name: "b", Properties: fleet.MemberProperties{ClusterResourceID: "c/b", Group: "prod"}},
		{Name: "a", Properties: fleet.MemberProperties{ClusterResourceID: "c/a", Group: "prod"}},
		{Name: "c", Properties: fleet.MemberProperties{ClusterResourceID: "c/c", Group: "test"}},
		{Name: "d", Properties: fleet.MemberProperties{ClusterResourceID: "c/d"}},
	}
	s := &fleet.RunStrategy{Stages: []fleet.Stage{{Name: "one", Groups: []fleet.Group{{Name: "test"}}, AfterStageWaitInSeconds: 30}, {Name: "two", Groups: []fleet.Group{{Name: "prod"}}}}}
	st, err := fleet.NewRunStatus(s, members)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Stages[1].Groups[0].Members; len(got) != 2 || got[0].Name != "a" || got[1].Name != "b" {
		t.Fatalf("prod members %+v, want a then b", got)
	}
	if st.Stages[0].AfterStageWaitStatus.WaitDurationInSeconds != 30 || st.Status.State != fleet.NotStarted {
		t.Fatalf("status %+v", st)
	}
	if left := fleet.LeftOut(s, members); len(left) != 1 || left[0].Name != "d" {
		t.Fatalf("left out %+v, want d", left)
	}
	s.Stages = append(s.Stages, fleet.Stage{Name: "three", Groups: []fleet.Group{{Name: "empty"}}})
	_, err = fleet.NewRunStatus(s, members)
	check(t, err, `properties.strategy.stages[2].groups[0].name: group "empty" has no members`)
	all, err := fleet.NewRunStatus(nil, members)
	if err != nil || len(all.Stages) != 1 || len(all.Stages[0].Groups[0].Members) != 4 {
		t.Fatalf("default run: %+v, %v", all, err)
	}
	_, err = fleet.NewRunStatus(nil, nil)
	check(t, err, "the fleet has no members")
	s.Stages = s.Stages[:2]
	s.Stages[1].Groups[0].MaxAllowedFailures = "3"
	_, err = fleet.NewRunStatus(s, members)
	check(t, err, `properties.strategy.stages[1].groups[0].maxAllowedFailures: "3" allows more failures than group prod has members (2); use at most 2`)
	s.Stages[1].Groups[0].MaxAllowedFailures = "50%"
	s.Stages[0].MaxAllowedFailures = "2"
	_, err = fleet.NewRunStatus(s, members)
	check(t, err, `properties.strategy.stages[0].maxAllowedFailures: "2" allows more failures than stage one has members (1)`)
	s.Stages[0].MaxAllowedFailures = "1"
	if _, err := fleet.NewRunStatus(s, members); err != nil {
		t.Fatal(err)
	}
}

func TestValidateMemberAndIDs(t *testing.T) {
	good := "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c"
	check(t, fleet.ValidateMember("properties", fleet.MemberProperties{}), "properties.clusterResourceId: the ARM id of the member's cluster is required")
	check(t, fleet.ValidateMember("properties", fleet.MemberProperties{ClusterResourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v"}), "is not a managed cluster id")
	check(t, fleet.ValidateMember("properties", fleet.MemberProperties{ClusterResourceID: good, Group: "Prod"}), `properties.group: "Prod" is not a valid name`)
	check(t, fleet.ValidateMember("properties", fleet.MemberProperties{ClusterResourceID: good, Group: "prod", Labels: map[string]string{"env": "prod"}}), "")
	ref, coll, name, err := fleet.ParseFleetChildID("/subscriptions/S/resourcegroups/RG/providers/microsoft.containerservice/fleets/f/updateRuns/r1")
	if err != nil || ref.Fleet != "f" || coll != "updateRuns" || name != "r1" || ref.ResourceGroup != "RG" {
		t.Fatalf("parsed %+v %s %s %v", ref, coll, name, err)
	}
	if _, _, _, err := fleet.ParseFleetChildID("/subscriptions/S/resourceGroups/RG"); err == nil {
		t.Fatal("a resource group id parsed as a fleet child")
	}
}

func check(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	if fleet.KindOf(err) != fleet.KindInvalid {
		t.Fatalf("error %v is not a 400", err)
	}
}
