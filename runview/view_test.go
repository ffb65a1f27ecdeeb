package runview

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

func TestOfRunPartWayThrough(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	deadline := at(100)
	run := &fleet.UpdateRun{
		ID:   "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1/updateRuns/r1",
		Name: "r1",
		Properties: fleet.UpdateRunProperties{
			ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.32"}},
			Status: &fleet.RunStatus{
				Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(0)},
				Stages: []fleet.StageStatus{{
					Name: "s1", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(0)},
					Groups: []fleet.GroupStatus{{Name: "g1", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(0)}, Members: []fleet.MemberStatus{
						{Name: "m1", Status: fleet.UpdateStatus{State: fleet.Completed, StartTime: at(0), CompletedTime: at(10)}},
						{Name: "m2", Status: fleet.UpdateStatus{State: fleet.Failed, StartTime: at(10), CompletedTime: at(12), Error: &fleet.ErrorDetail{Message: "quota exceeded"}}},
						{Name: "m3", Status: fleet.UpdateStatus{State: fleet.Pending, StartTime: at(12)}},
						{Name: "m4", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(20)}},
					}}},
					AfterStageWaitStatus: &fleet.WaitStatus{Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(30)}, WaitDurationInSeconds: 70, Deadline: deadline},
				}},
			},
		},
	}
	v := Of(run, t0.Add(40*time.Second))
	if v.Fleet != "f1" || v.State != fleet.Running || v.Upgrade != "ControlPlaneOnly to Kubernetes 1.32" {
		t.Fatalf("head: fleet %q state %q upgrade %q", v.Fleet, v.State, v.Upgrade)
	}
	if want := (Counts{Total: 4, Completed: 1, Failed: 1, Pending: 1, Running: 1}); v.Counts != want {
		t.Fatalf("counts %+v, want %+v", v.Counts, want)
	}
	g := v.Stages[0].Groups[0]
	if g.Done != 1 || g.Total != 4 {
		t.Fatalf("group progress %d/%d, want 1/4", g.Done, g.Total)
	}
	m := g.Members
	if !m[0].Timed || m[0].Ticking || m[0].Elapsed != 10*time.Second {
		t.Errorf("completed member times %+v", m[0].Times)
	}
	if !m[1].Failed || m[1].Message != "quota exceeded" {
		t.Errorf("failed member: %+v", m[1])
	}
	if m[2].Timed {
		t.Errorf("a pending member shows no time: %+v", m[2].Times)
	}
	if !m[3].Ticking || m[3].Elapsed != 20*time.Second {
		t.Errorf("running member times %+v", m[3].Times)
	}
	w := v.Stages[0].Wait
	if w == nil || w.Message != "ends in 1m00s" {
		t.Fatalf("wait %+v, want one ending in 1m00s", w)
	}
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}
}

func TestOfNotStartedRun(t *testing.T) {
	v := Of(&fleet.UpdateRun{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1/updateRuns/r1", Name: "r1"}, time.Now())
	if v.State != fleet.NotStarted || v.Stages == nil || v.Strategy != "none: every member in one group, one at a time" {
		t.Fatalf("view %+v", v)
	}
}
