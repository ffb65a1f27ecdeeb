package feed_test

import (
	"fmt"
	"testing"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

func tree(run, stage, group, m1, m2, wait fleet.State) *fleet.UpdateRun {
	return &fleet.UpdateRun{ID: fleetA + "/updateRuns/r", Name: "r", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: run},
		Stages: []fleet.StageStatus{{
			Name: "s", Status: fleet.UpdateStatus{State: stage},
			Groups: []fleet.GroupStatus{{Name: "g", Status: fleet.UpdateStatus{State: group}, Members: []fleet.MemberStatus{
				{Name: "m1", Status: fleet.UpdateStatus{State: m1}},
				{Name: "m2", Status: fleet.UpdateStatus{State: m2}, Message: "cluster is busy"},
			}}},
			AfterStageWaitStatus: &fleet.WaitStatus{Status: fleet.UpdateStatus{State: wait}},
		}},
	}}}
}

func describe(cs []feed.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s>%s", c.Kind, c.Path, c.Old, c.New))
	}
	return out
}

func TestDiffOrdersStartsTopDownAndEndsBottomUp(t *testing.T) {
	ns := fleet.NotStarted
	snap := feed.Take(tree(ns, ns, ns, ns, ns, ns))
	got, snap := feed.Diff(snap, tree(fleet.Running, fleet.Running, fleet.Running, fleet.Running, ns, ns), feed.Change{ETag: "e1"})
	want := []string{"run  NotStarted>Running", "stage s NotStarted>Running", "group s/g NotStarted>Running", "member s/g/m1 NotStarted>Running"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("start:\n got %q\nwant %q", describe(got), want)
	}
	if got[0].FleetID != fleetA || got[0].ETag != "e1" || got[0].Name != "r" {
		t.Fatalf("base not applied: %+v", got[0])
	}
	got, snap = feed.Diff(snap, tree(fleet.Running, fleet.Running, fleet.Running, fleet.Completed, fleet.Running, ns), feed.Change{})
	want = []string{"member s/g/m1 Running>Completed", "member s/g/m2 NotStarted>Running"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("step:\n got %q\nwant %q", describe(got), want)
	}
	if got[1].Message != "cluster is busy" {
		t.Fatalf("member message %q", got[0].Message)
	}
	got, _ = feed.Diff(snap, tree(fleet.Completed, fleet.Completed, fleet.Completed, fleet.Completed, fleet.Completed, fleet.Completed), feed.Change{})
	want = []string{"member s/g/m2 Running>Completed", "group s/g Running>Completed", "wait s/afterStageWait NotStarted>Completed", "stage s Running>Completed", "run  Running>Completed"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("end:\n got %q\nwant %q", describe(got), want)
	}
}

func TestDiffWithoutASnapshotReadsNodesAsNotStarted(t *testing.T) {
	ns := fleet.NotStarted
	got, _ := feed.Diff(feed.Snapshot{}, tree(fleet.Running, fleet.Running, ns, ns, ns, ns), feed.Change{})
	if len(got) != 2 || got[0].Kind != feed.KindRun || got[1].Kind != feed.KindStage {
		t.Fatalf("changes %q", describe(got))
	}
	if got, _ := feed.Diff(feed.Snapshot{}, &fleet.UpdateRun{}, feed.Change{}); got != nil {
		t.Fatalf("a run without status made changes %q", describe(got))
	}
}

func gated(stage, before, group, groupAfter, m fleet.State) *fleet.UpdateRun {
	id := fleetA + "/gates/6f1c0c1e-0000-5000-8000-000000000001"
	return &fleet.UpdateRun{ID: fleetA + "/updateRuns/r", Name: "r", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: fleet.Running},
		Stages: []fleet.StageStatus{{
			Name: "s", Status: fleet.UpdateStatus{State: stage},
			BeforeGates: []fleet.GateStatus{{DisplayName: "change board", GateID: id, Status: fleet.UpdateStatus{State: before}}},
			Groups: []fleet.GroupStatus{{
				Name: "g", Status: fleet.UpdateStatus{State: group},
				Members:    []fleet.MemberStatus{{Name: "m", Status: fleet.UpdateStatus{State: m}}},
				AfterGates: []fleet.GateStatus{{Status: fleet.UpdateStatus{State: groupAfter}}},
			}},
		}},
	}}}
}

func TestDiffSeesGates(t *testing.T) {
	ns := fleet.NotStarted
	snap := feed.Take(gated(ns, ns, ns, ns, ns))
	got, snap := feed.Diff(snap, gated(fleet.Pending, fleet.Pending, ns, ns, ns), feed.Change{})
	want := []string{"stage s NotStarted>Pending", "gate s/beforeGates/0 NotStarted>Pending"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("reached:\n got %q\nwant %q", describe(got), want)
	}
	if g := got[1]; g.Name != "change board" || g.GateID != fleetA+"/gates/6f1c0c1e-0000-5000-8000-000000000001" {
		t.Fatalf("the gate's change names %q, gate %q", g.Name, g.GateID)
	}
	got, snap = feed.Diff(snap, gated(fleet.Running, fleet.Completed, fleet.Running, ns, fleet.Running), feed.Change{})
	want = []string{"stage s Pending>Running", "gate s/beforeGates/0 Pending>Completed", "group s/g NotStarted>Running", "member s/g/m NotStarted>Running"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("approved:\n got %q\nwant %q", describe(got), want)
	}
	got, _ = feed.Diff(snap, gated(fleet.Running, fleet.Completed, fleet.Pending, fleet.Pending, fleet.Completed), feed.Change{})
	want = []string{"group s/g Running>Pending", "member s/g/m Running>Completed", "gate s/g/afterGates/0 NotStarted>Pending"}
	if fmt.Sprint(describe(got)) != fmt.Sprint(want) {
		t.Fatalf("group's after-gate:\n got %q\nwant %q", describe(got), want)
	}
	if got[2].Name != "afterGate" || got[2].GateID != "" {
		t.Fatalf("an unnamed gate's change is named %q, gate %q", got[2].Name, got[2].GateID)
	}
}
