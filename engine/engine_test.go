package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

func TestStagesRunInOrderGroupsInParallelMembersOneAtATime(t *testing.T) {
	test(t, func(e *env) {
		e.member("a2", "canary", "eastus", "1.30.4")
		e.member("a1", "canary", "eastus", "1.30.4")
		e.member("b1", "edge", "eastus", "1.30.4")
		e.member("p1", "prod", "eastus", "1.30.4")
		id := e.createRun("r", stages("first:canary,edge;second:prod"), full("1.31.2"))
		e.start(id)
		// Groups canary and edge run in parallel; canary takes a1 before a2.
		e.wantUpgrading("a1", "b1")
		e.wantState(id, "a2", fleet.NotStarted)
		e.wantRun(id, fleet.Running)
		e.finish("a1", nil)
		e.wantUpgrading("a2", "b1")
		e.wantState(id, "a1", fleet.Completed)
		e.finish("b1", nil)
		e.wantUpgrading("a2")
		e.wantState(id, "p1", fleet.NotStarted)
		e.finish("a2", nil)
		e.wantUpgrading("p1")
		e.finish("p1", nil)
		e.wantRun(id, fleet.Completed)
		run := e.run(id)
		for _, st := range run.Properties.Status.Stages {
			if st.Status.State != fleet.Completed || st.Status.CompletedTime == nil {
				t.Fatalf("stage %s is %s (completed %v)", st.Name, st.Status.State, st.Status.CompletedTime)
			}
		}
		c, _ := e.cloud.Cluster(clusterID("p1"))
		if c.KubernetesVersion != "1.31.2" || c.NodePools[0].KubernetesVersion != "1.31.2" || c.NodePools[0].NodeImageVersion != ubuntu+"-202411.12.0" {
			t.Fatalf("p1 after a Full upgrade with Latest images: %+v", c)
		}
		if m := e.memberStatus(id, "p1"); m.Message != "upgraded to Kubernetes 1.31.2; node pool system on "+ubuntu+"-202411.12.0" || m.OperationID == "" || m.Attempt != 1 {
			t.Fatalf("p1 status %+v", m)
		}
	})
}

func TestAfterStageWaitIsADeadlineAndHoldsTheNextStage(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		id := e.createRun("r", stages("s1/3600:one;s2:two"), full("1.31.2"))
		e.start(id)
		e.finish("a", nil)
		e.wantUpgrading()
		w := e.run(id).Properties.Status.Stages[0].AfterStageWaitStatus
		if w.Status.State != fleet.Running || w.Deadline == nil || !w.Deadline.Equal(t0.Add(time.Hour)) || w.WaitDurationInSeconds != 3600 {
			t.Fatalf("wait after s1: %+v", w)
		}
		e.wantState(id, "b", fleet.NotStarted)
		if st := e.run(id).Properties.Status.Stages[0].Status.State; st != fleet.Running {
			t.Fatalf("stage s1 is %s while its wait runs, want Running", st)
		}
		e.advance(59 * time.Minute)
		e.wantUpgrading()
		e.advance(time.Minute)
		e.wantUpgrading("b")
		w = e.run(id).Properties.Status.Stages[0].AfterStageWaitStatus
		if w.Status.State != fleet.Completed || w.Deadline != nil {
			t.Fatalf("wait after it elapsed: %+v", w)
		}
	})
}

func TestGroupMaxConcurrencyCountAndPercent(t *testing.T) {
	for _, tc := range []struct {
		conc string
		want int
	}{{"2", 2}, {"50%", 3}, {"10%", 1}, {"100%", 7}, {"", 1}} {
		t.Run("conc="+tc.conc, func(t *testing.T) {
			test(t, func(e *env) {
				for _, n := range []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"} {
					e.member(n, "g", "eastus", "1.30.4")
				}
				s := stages("s:g")
				s.Stages[0].Groups[0].MaxConcurrency = tc.conc
				id := e.createRun("r", s, full("1.31.2"))
				e.start(id)
				if got := len(e.upgrading()); got != tc.want {
					t.Fatalf("maxConcurrency %q: %d upgrading, want %d", tc.conc, got, tc.want)
				}
				for len(e.upgrading()) > 0 {
					if got := len(e.upgrading()); got > tc.want {
						t.Fatalf("%d upgrading, limit %d", got, tc.want)
					}
					e.finish(e.upgrading()[0], nil)
				}
				e.wantRun(id, fleet.Completed)
			})
		})
	}
}

func TestStageMaxConcurrencyCapsAcrossGroups(t *testing.T) {
	test(t, func(e *env) {
		for _, g := range []string{"a", "b", "c"} {
			for _, n := range []string{"1", "2", "3"} {
				e.member(g+n, g, "eastus", "1.30.4")
			}
		}
		s := stages("s:a,b,c")
		s.Stages[0].MaxConcurrency = "4"
		for i := range s.Stages[0].Groups {
			s.Stages[0].Groups[i].MaxConcurrency = "2"
		}
		id := e.createRun("r", s, full("1.31.2"))
		e.start(id)
		// Groups take turns: a1, b1, c1, then a2.
		e.wantUpgrading("a1", "a2", "b1", "c1")
		e.finish("c1", nil)
		e.wantUpgrading("a1", "a2", "b1", "b2")
		for len(e.upgrading()) > 0 {
			if got := len(e.upgrading()); got > 4 {
				t.Fatalf("%d upgrading, stage limit 4", got)
			}
			e.finish(e.upgrading()[0], nil)
		}
		e.wantRun(id, fleet.Completed)
	})
}

func TestMemberAlreadyAtTargetIsSkipped(t *testing.T) {
	test(t, func(e *env) {
		e.member("done", "g", "eastus", "1.31.2", cluster.NodePool{Name: "p", KubernetesVersion: "1.31.2", NodeImageVersion: ubuntu + "-202411.12.0"})
		e.member("todo", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantState(id, "done", fleet.Skipped)
		if m := e.memberStatus(id, "done"); !strings.Contains(m.Message, "already at Kubernetes 1.31.2") {
			t.Fatalf("skip message %q", m.Message)
		}
		e.wantUpgrading("todo")
		e.finish("todo", nil)
		e.wantRun(id, fleet.Completed)
	})
}

func TestUpgradeTypesAtTarget(t *testing.T) {
	pools := []cluster.NodePool{{Name: "p", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202411.12.0"}}
	for _, tc := range []struct {
		name   string
		update fleet.ManagedClusterUpdate
		want   fleet.State
	}{
		{"control plane at version, pools behind", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31.2"}}, fleet.Skipped},
		{"full needs the pools too", full("1.31.2"), fleet.Running},
		{"node images already latest", fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}}, fleet.Skipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test(t, func(e *env) {
				e.member("m", "g", "eastus", "1.31.2", pools...)
				id := e.createRun("r", stages("s:g"), tc.update)
				e.start(id)
				e.wantState(id, "m", tc.want)
			})
		})
	}
}

func TestMinorVersionMeansNewestPatchInTheClustersRegion(t *testing.T) {
	test(t, func(e *env) {
		e.cloud.SetRegion("southeastasia", fakeRegion([]string{"1.30.4", "1.31.1"}, nil))
		e.member("east", "g", "eastus", "1.30.4")
		e.member("sea", "g", "southeastasia", "1.30.4")
		s := stages("s:g")
		s.Stages[0].Groups[0].MaxConcurrency = "2"
		id := e.createRun("r", s, full("1.31"))
		e.start(id)
		e.finish("east", nil)
		e.finish("sea", nil)
		for name, want := range map[string]string{"east": "1.31.2", "sea": "1.31.1"} {
			c, _ := e.cloud.Cluster(clusterID(name))
			if c.KubernetesVersion != want {
				t.Fatalf("%s upgraded to %s, want %s", name, c.KubernetesVersion, want)
			}
			if got := e.memberStatus(id, name).Target.KubernetesVersion; got != want {
				t.Fatalf("%s target recorded as %s, want %s", name, got, want)
			}
		}
	})
}

func TestTargetNotOfferedHoldsMemberPendingAndGroupMovesOn(t *testing.T) {
	test(t, func(e *env) {
		e.cloud.SetRegion("southeastasia", fakeRegion([]string{"1.30.4", "1.31.1"}, nil))
		e.member("a-sea", "g", "southeastasia", "1.30.4")
		e.member("b-east", "g", "eastus", "1.30.4")
		e.member("h1", "h", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g;next:h"), full("1.31.2"))
		e.start(id)
		e.wantState(id, "a-sea", fleet.Pending)
		if m := e.memberStatus(id, "a-sea").Message; !strings.Contains(m, "1.31.2 is not offered in region southeastasia") {
			t.Fatalf("pending message %q", m)
		}
		e.wantUpgrading("b-east")
		e.finish("b-east", nil)
		// Only the pending member is left: group, stage and run are Pending.
		run := e.run(id)
		if g := run.Properties.Status.Stages[0].Groups[0].Status.State; g != fleet.Pending {
			t.Fatalf("group is %s, want Pending", g)
		}
		e.wantRun(id, fleet.Pending)
		e.wantState(id, "h1", fleet.NotStarted)
		// Checked again after the recheck interval; still not offered.
		e.advance(time.Minute)
		e.wantState(id, "a-sea", fleet.Pending)
		// The region gets the version; the next check starts the member.
		e.cloud.SetRegion("southeastasia", fakeRegion([]string{"1.30.4", "1.31.1", "1.31.2"}, nil))
		e.advance(time.Minute)
		e.wantUpgrading("a-sea")
		e.wantRun(id, fleet.Running)
		e.finish("a-sea", nil)
		e.wantUpgrading("h1")
	})
}

func TestFailurePropagatesAndInFlightMembersAreTracked(t *testing.T) {
	test(t, func(e *env) {
		e.member("a1", "a", "eastus", "1.30.4")
		e.member("a2", "a", "eastus", "1.30.4")
		e.member("b1", "b", "eastus", "1.30.4")
		e.member("b2", "b", "eastus", "1.30.4")
		e.member("c1", "c", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:a,b;t:c"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("a1", "b1")
		e.finish("a1", cluster.Errorf(cluster.Failed, "UpgradeFailed", "node drain timed out"))
		e.wantState(id, "a1", fleet.Failed)
		e.wantRun(id, fleet.Stopping)
		// No new member starts, anywhere; b1 carries on.
		e.wantUpgrading("b1")
		run := e.run(id)
		st := run.Properties.Status
		if st.Stages[0].Groups[0].Status.State != fleet.Failed || st.Stages[0].Status.State != fleet.Failed {
			t.Fatalf("group a %s, stage s %s; want Failed", st.Stages[0].Groups[0].Status.State, st.Stages[0].Status.State)
		}
		if m := e.memberStatus(id, "a1"); m.Status.Error == nil || m.Status.Error.Code != "UpgradeFailed" || !strings.Contains(m.Status.Error.Message, "node drain timed out") {
			t.Fatalf("a1 error %+v", m.Status.Error)
		}
		e.finish("b1", nil)
		e.wantState(id, "b1", fleet.Completed)
		e.wantRun(id, fleet.Failed)
		e.wantUpgrading()
		if err := e.run(id).Properties.Status.Status.Error; err == nil || !strings.Contains(err.Message, "a1") {
			t.Fatalf("run error %+v", err)
		}
		// Starting again retries the failed member and leaves b1 alone.
		e.start(id)
		e.wantUpgrading("a1", "b2")
		e.finish("a1", nil)
		e.finish("b2", nil)
		e.finish("a2", nil)
		e.finish("c1", nil)
		e.wantRun(id, fleet.Completed)
		if m := e.memberStatus(id, "a1"); m.Attempt != 2 {
			t.Fatalf("a1 attempts %d, want 2", m.Attempt)
		}
		if m := e.memberStatus(id, "b1"); m.Attempt != 1 {
			t.Fatalf("b1 was upgraded again: %d attempts", m.Attempt)
		}
	})
}

func TestRejectedUpgradeFailsTheMemberWithTheProvidersReason(t *testing.T) {
	test(t, func(e *env) {
		e.member("old", "g", "eastus", "1.29.9")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantState(id, "old", fleet.Failed)
		if m := e.memberStatus(id, "old"); m.Status.Error.Code != "UpgradeSkipsMinor" {
			t.Fatalf("error %+v", m.Status.Error)
		}
		e.wantRun(id, fleet.Failed)
	})
}

func TestStopTracksInFlightAndStartResumes(t *testing.T) {
	test(t, func(e *env) {
		e.member("a1", "a", "eastus", "1.30.4")
		e.member("a2", "a", "eastus", "1.30.4")
		e.member("b1", "b", "eastus", "1.30.4")
		id := e.createRun("r", stages("s/600:a;t:b"), full("1.31.2"))
		e.start(id)
		e.stop(id)
		e.wantRun(id, fleet.Stopping)
		e.finish("a1", nil)
		e.wantState(id, "a1", fleet.Completed)
		e.wantRun(id, fleet.Stopped)
		e.wantUpgrading()
		e.advance(time.Hour)
		e.wantUpgrading()
		e.start(id)
		e.wantUpgrading("a2")
		e.finish("a2", nil)
		// The wait runs; stop it after 4 minutes, resume 1 hour later: 6
		// minutes remain.
		e.advance(4 * time.Minute)
		e.stop(id)
		e.wantRun(id, fleet.Stopped)
		w := e.run(id).Properties.Status.Stages[0].AfterStageWaitStatus
		if w.Status.State != fleet.Stopped || w.RemainingMilliseconds != (6*time.Minute).Milliseconds() {
			t.Fatalf("stopped wait %+v", w)
		}
		e.advance(time.Hour)
		e.start(id)
		e.advance(5 * time.Minute)
		e.wantUpgrading()
		e.advance(time.Minute)
		e.wantUpgrading("b1")
	})
}

func TestStartStopConflicts(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		ctx := context.Background()
		if _, err := e.eng.StopRun(ctx, id, ""); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("stopping a NotStarted run: %v, want a conflict", err)
		}
		if _, err := e.eng.StartRun(ctx, id, "wrong-etag"); fleet.KindOf(err) != fleet.KindPreconditionFailed {
			t.Fatalf("start with a stale If-Match: %v, want precondition failed", err)
		}
		e.start(id)
		if _, err := e.eng.StartRun(ctx, id, ""); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("starting a Running run: %v, want a conflict", err)
		}
		e.stop(id)
		if _, err := e.eng.StartRun(ctx, id, ""); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("starting a Stopping run: %v, want a conflict", err)
		}
		if _, err := e.eng.StopRun(ctx, id, ""); err != nil {
			t.Fatalf("stopping a Stopping run again: %v", err)
		}
		e.finish("a", nil)
		e.wantRun(id, fleet.Stopped)
		e.start(id)
		e.wantRun(id, fleet.Completed)
		if _, err := e.eng.StartRun(ctx, id, ""); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("starting a Completed run: %v, want a conflict", err)
		}
		if _, err := e.eng.StartRun(ctx, e.fleet.Child("updateRuns", "nope"), ""); fleet.KindOf(err) != fleet.KindNotFound {
			t.Fatalf("starting a missing run: %v, want not found", err)
		}
	})
}

func TestSkipRules(t *testing.T) {
	test(t, func(e *env) {
		e.member("a1", "a", "eastus", "1.30.4")
		e.member("a2", "a", "eastus", "1.30.4")
		e.member("b1", "b", "eastus", "1.30.4")
		e.member("c1", "c", "eastus", "1.30.4")
		id := e.createRun("r", stages("s/600:a,b;t:c"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("a1", "b1")
		for _, tc := range []struct {
			target fleet.SkipTarget
			kind   fleet.ErrorKind
			text   string
		}{
			{fleet.SkipTarget{Type: fleet.SkipMember, Name: "a1"}, fleet.KindConflict, "being upgraded"},
			{fleet.SkipTarget{Type: fleet.SkipGroup, Name: "a"}, fleet.KindConflict, "being upgraded"},
			{fleet.SkipTarget{Type: fleet.SkipStage, Name: "s"}, fleet.KindConflict, "being upgraded"},
			{fleet.SkipTarget{Type: fleet.SkipMember, Name: "zz"}, fleet.KindInvalid, `no member "zz"`},
			{fleet.SkipTarget{Type: fleet.SkipGroup, Name: "zz"}, fleet.KindInvalid, `no group "zz"`},
			{fleet.SkipTarget{Type: fleet.SkipStage, Name: "zz"}, fleet.KindInvalid, `no stage "zz"`},
			{fleet.SkipTarget{Type: "Cluster", Name: "a1"}, fleet.KindInvalid, "not a skip target type"},
			{fleet.SkipTarget{Type: fleet.SkipMember}, fleet.KindInvalid, "name is required"},
		} {
			err := e.skip(id, tc.target)
			if fleet.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("skip %+v: %v, want kind %d mentioning %q", tc.target, err, tc.kind, tc.text)
			}
		}
		// A valid target next to a bad one changes nothing.
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "a2"}, fleet.SkipTarget{Type: fleet.SkipMember, Name: "a1"}); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("mixed skip: %v", err)
		}
		e.wantState(id, "a2", fleet.NotStarted)
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "a2"}); err != nil {
			t.Fatal(err)
		}
		e.wantState(id, "a2", fleet.Skipped)
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "a2"}); fleet.KindOf(err) != fleet.KindInvalid || !strings.Contains(err.Error(), "already Skipped") {
			t.Fatalf("skipping a skipped member: %v", err)
		}
		e.finish("a1", nil)
		e.finish("b1", nil)
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipGroup, Name: "b"}); fleet.KindOf(err) != fleet.KindInvalid || !strings.Contains(err.Error(), "already Completed") {
			t.Fatalf("skipping a completed group: %v", err)
		}
		// Stage s waits 10 minutes; skipping the wait ends it at once.
		e.wantUpgrading()
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipAfterStageWait, Name: "s"}); err != nil {
			t.Fatal(err)
		}
		e.wantUpgrading("c1")
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipAfterStageWait, Name: "s"}); fleet.KindOf(err) != fleet.KindInvalid {
			t.Fatalf("skipping a skipped wait: %v", err)
		}
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipStage, Name: "s"}); fleet.KindOf(err) != fleet.KindInvalid {
			t.Fatalf("skipping a finished stage: %v", err)
		}
		e.finish("c1", nil)
		e.wantRun(id, fleet.Completed)
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "c1"}); fleet.KindOf(err) != fleet.KindConflict {
			t.Fatalf("skipping in a completed run: %v", err)
		}
	})
}

func TestSkipGroupAndStageBeforeTheyRun(t *testing.T) {
	test(t, func(e *env) {
		e.member("a1", "a", "eastus", "1.30.4")
		e.member("b1", "b", "eastus", "1.30.4")
		e.member("b2", "b", "eastus", "1.30.4")
		e.member("c1", "c", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:a;t/900:b;u:c"), full("1.31.2"))
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipStage, Name: "t"}); err != nil {
			t.Fatal(err)
		}
		run := e.run(id)
		if st := run.Properties.Status.Stages[1]; st.Status.State != fleet.Skipped || st.AfterStageWaitStatus.Status.State != fleet.Skipped {
			t.Fatalf("stage t after skip: %s, wait %s", st.Status.State, st.AfterStageWaitStatus.Status.State)
		}
		e.wantRun(id, fleet.NotStarted)
		e.start(id)
		e.finish("a1", nil)
		// Stage t and its 15-minute wait are skipped: u starts at once.
		e.wantUpgrading("c1")
		e.wantState(id, "b2", fleet.Skipped)
	})
}

func TestRunWithoutStrategyIsOneStageOfEveryMember(t *testing.T) {
	test(t, func(e *env) {
		e.member("z", "", "eastus", "1.30.4")
		e.member("m", "prod", "eastus", "1.30.4")
		e.member("a", "test", "eastus", "1.30.4")
		id := e.createRun("r", nil, full("1.31.2"))
		st := e.run(id).Properties.Status
		if len(st.Stages) != 1 || len(st.Stages[0].Groups) != 1 || len(st.Stages[0].Groups[0].Members) != 3 {
			t.Fatalf("default tree %+v", st)
		}
		e.start(id)
		for _, n := range []string{"a", "m", "z"} {
			e.wantUpgrading(n)
			e.finish(n, nil)
		}
		e.wantRun(id, fleet.Completed)
	})
}

func TestConsistentImagesAreTheNewestCommonToEveryRegion(t *testing.T) {
	test(t, func(e *env) {
		az := []cluster.NodePool{
			{Name: "sys", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"},
			{Name: "azl", KubernetesVersion: "1.30.4", NodeImageVersion: azl + "-202409.01.0"},
		}
		e.member("east", "g", "eastus", "1.30.4", az...)
		e.member("eu", "g", "westeurope", "1.30.4", az...)
		e.member("sea", "h", "southeastasia", "1.30.4", az[:1]...)
		update := fleet.ManagedClusterUpdate{
			Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly},
			NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent},
		}
		id := e.createRun("r", stages("s:g,h"), update)
		e.start(id)
		sel := e.run(id).Properties.Status.NodeImageSelection
		if sel == nil {
			t.Fatal("no node image selection recorded")
		}
		// Ubuntu: southeastasia lags (202410.15.0). Azure Linux is used only
		// in eastus and westeurope, both at 202411.12.0.
		want := []string{azl + "-202411.12.0", ubuntu + "-202410.15.0"}
		if len(sel.SelectedNodeImageVersions) != 2 || sel.SelectedNodeImageVersions[0].Version != want[0] || sel.SelectedNodeImageVersions[1].Version != want[1] {
			t.Fatalf("selected %+v, want %v", sel.SelectedNodeImageVersions, want)
		}
		e.finish("east", nil)
		e.finish("sea", nil)
		e.finish("eu", nil)
		e.wantRun(id, fleet.Completed)
		c, _ := e.cloud.Cluster(clusterID("east"))
		if c.NodePools[0].NodeImageVersion != want[1] || c.NodePools[1].NodeImageVersion != want[0] {
			t.Fatalf("east pools after the run: %+v", c.NodePools)
		}
		// A later catalog change does not move the recorded choice.
		if got := e.run(id).Properties.Status.NodeImageSelection.SelectedNodeImageVersions[1].Version; got != want[1] {
			t.Fatalf("selection changed to %s", got)
		}
	})
}

func TestCustomImagesLeaveOtherFamiliesAlone(t *testing.T) {
	test(t, func(e *env) {
		e.member("m", "g", "eastus", "1.30.4",
			cluster.NodePool{Name: "sys", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"},
			cluster.NodePool{Name: "azl", KubernetesVersion: "1.30.4", NodeImageVersion: azl + "-202409.01.0"})
		e.member("sea", "g", "southeastasia", "1.30.4")
		update := fleet.ManagedClusterUpdate{
			Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly},
			NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{
				{Version: ubuntu + "-202410.27.0"},
			}},
		}
		s := stages("s:g")
		s.Stages[0].Groups[0].MaxConcurrency = "2"
		id := e.createRun("r", s, update)
		e.start(id)
		// southeastasia's newest Ubuntu image is 202410.15.0: not yet there.
		e.wantState(id, "sea", fleet.Pending)
		e.finish("m", nil)
		c, _ := e.cloud.Cluster(clusterID("m"))
		if c.NodePools[0].NodeImageVersion != ubuntu+"-202410.27.0" || c.NodePools[1].NodeImageVersion != azl+"-202409.01.0" {
			t.Fatalf("pools after a Custom run: %+v", c.NodePools)
		}
	})
}

func TestTwoRunsNeverUpgradeOneClusterAtOnce(t *testing.T) {
	test(t, func(e *env) {
		e.member("shared", "g", "eastus", "1.30.4")
		e.member("other", "g", "eastus", "1.30.4")
		first := e.createRun("first", stages("s:g"), full("1.31.2"))
		second := e.createRun("second", stages("s:g"), fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly}})
		e.start(first)
		e.start(second)
		// first holds "other"; second finds it taken and moves on to "shared".
		e.wantUpgrading("other", "shared")
		e.wantState(second, "other", fleet.Pending)
		if m := e.memberStatus(second, "other").Message; !strings.Contains(m, "update run first") {
			t.Fatalf("pending message %q does not name the other run", m)
		}
		e.finish("shared", nil)
		e.wantUpgrading("other")
		// first lets go of "other" and takes "shared"; second checks
		// "other" again and finds first's Full upgrade already left its
		// node images at the newest.
		e.finish("other", nil)
		e.wantUpgrading("shared")
		e.wantState(second, "other", fleet.Skipped)
		e.finish("shared", nil)
		e.wantRun(first, fleet.Completed)
		e.wantRun(second, fleet.Completed)
	})
}

func TestMemberRemovedBeforeItsTurnIsSkipped(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.removeMember("b")
		e.finish("a", nil)
		e.wantState(id, "b", fleet.Skipped)
		if m := e.memberStatus(id, "b").Message; !strings.Contains(m, "removed from the fleet") {
			t.Fatalf("message %q", m)
		}
		e.wantRun(id, fleet.Completed)
	})
}

func TestBusyClusterAndTransientRefusalsWaitPending(t *testing.T) {
	test(t, func(e *env) {
		e.member("busy", "g", "eastus", "1.30.4")
		e.member("flaky", "h", "eastus", "1.30.4")
		e.cloud.SetBusy(clusterID("busy"), true)
		e.cloud.FailNextBegin(clusterID("flaky"), cluster.Errorf(cluster.Transient, "TooManyRequests", "throttled"))
		id := e.createRun("r", stages("s:g,h"), full("1.31.2"))
		e.start(id)
		e.wantState(id, "busy", fleet.Pending)
		e.wantState(id, "flaky", fleet.Pending)
		e.wantUpgrading()
		e.cloud.SetBusy(clusterID("busy"), false)
		e.advance(time.Minute)
		e.wantUpgrading("busy", "flaky")
		if m := e.memberStatus(id, "flaky"); m.Attempt != 2 {
			t.Fatalf("flaky attempts %d, want 2 (one refused, one begun)", m.Attempt)
		}
	})
}

func TestRestartReattachesWithoutBeginningAgain(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:g"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("a")
		e.eng.Close()
		// The cloud finishes the upgrade while no engine runs.
		e.finish("a", nil)
		e.wantState(id, "a", fleet.Running)
		e.startEngine()
		e.settle()
		e.wantState(id, "a", fleet.Completed)
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantRun(id, fleet.Completed)
		if n := len(e.cloud.Began()); n != 2 {
			t.Fatalf("%d operations begun for 2 members", n)
		}
	})
}

func TestEngineNeverPanicsOnAMissingRun(t *testing.T) {
	test(t, func(e *env) {
		_, err := e.eng.SkipRun(context.Background(), e.fleet.Child("updateRuns", "ghost"), nil, "")
		var fe *fleet.Error
		if !errors.As(err, &fe) || fe.Kind != fleet.KindNotFound {
			t.Fatalf("got %v", err)
		}
	})
}

func TestNodeImagesNeverGoBackwards(t *testing.T) {
	test(t, func(e *env) {
		newer := []cluster.NodePool{{Name: "p", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202411.12.0"}}
		e.member("east", "g", "eastus", "1.30.4", newer...)
		e.member("sea", "g", "southeastasia", "1.30.4")
		update := full("1.31.2")
		update.NodeImageSelection = &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent}
		s := stages("s:g")
		s.Stages[0].Groups[0].MaxConcurrency = "2"
		id := e.createRun("r", s, update)
		e.start(id)
		// southeastasia's newest Ubuntu image, 202410.15.0, is the
		// consistent choice; east already runs 202411.12.0 and keeps it.
		e.finish("east", nil)
		e.finish("sea", nil)
		e.wantRun(id, fleet.Completed)
		c, _ := e.cloud.Cluster(clusterID("east"))
		if c.KubernetesVersion != "1.31.2" || c.NodePools[0].NodeImageVersion != ubuntu+"-202411.12.0" {
			t.Fatalf("east after the run: %+v", c)
		}
		images := fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly},
			NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageCustom, CustomNodeImageVersions: []fleet.NodeImageVersion{{Version: ubuntu + "-202410.27.0"}}}}
		again := e.createRun("images", stages("s:g"), images)
		e.start(again)
		e.wantState(again, "east", fleet.Skipped)
	})
}
