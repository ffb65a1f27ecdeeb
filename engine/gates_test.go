package engine_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// gated is a strategy of stage "s1" (groups one, two) and stage "s2"
// (group three) with the given gates.
func gated(stageBefore, groupAfter []fleet.GateConfiguration) *fleet.RunStrategy {
	return &fleet.RunStrategy{Stages: []fleet.Stage{
		{Name: "s1", BeforeGates: stageBefore, Groups: []fleet.Group{{Name: "one", AfterGates: groupAfter}}},
		{Name: "s2", Groups: []fleet.Group{{Name: "two"}}},
	}}
}

var approval = []fleet.GateConfiguration{{DisplayName: "approve", Type: fleet.GateApproval}}

// gates returns the fleet's gate resources.
func (e *env) gates() []fleet.Gate {
	e.t.Helper()
	page, err := e.store.List(context.Background(), store.ListOptions{Kind: store.Gates, Parent: store.CanonicalID(e.fleet.ID())})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []fleet.Gate
	for _, rec := range page.Records {
		var g fleet.Gate
		if err := json.Unmarshal(rec.Body, &g); err != nil {
			e.t.Fatal(err)
		}
		if rec.State != string(g.Properties.State) {
			e.t.Fatalf("gate %s is stored with state %q but reads %s", g.Name, rec.State, g.Properties.State)
		}
		out = append(out, g)
	}
	return out
}

// approve completes a gate as the API does: its resource first, then the
// engine is told.
func (e *env) approve(g fleet.Gate, tell bool) {
	e.t.Helper()
	ctx := context.Background()
	rec, err := e.store.Get(ctx, store.Gates, store.CanonicalID(g.ID))
	if err != nil {
		e.t.Fatal(err)
	}
	g.Properties.State = fleet.Completed
	body, _ := json.Marshal(g)
	rec.Body, rec.State = body, string(fleet.Completed)
	if err := e.store.Put(ctx, rec, store.Precondition{IfMatch: rec.ETag}); err != nil {
		e.t.Fatal(err)
	}
	if tell {
		e.eng.GateCompleted(g.Properties.Target.ID, g.ID)
	}
	e.settle()
}

// pendingGate returns the one Pending gate, failing if there is not
// exactly one.
func (e *env) pendingGate() fleet.Gate {
	e.t.Helper()
	var pending []fleet.Gate
	for _, g := range e.gates() {
		if g.Properties.State == fleet.Pending {
			pending = append(pending, g)
		}
	}
	if len(pending) != 1 {
		e.t.Fatalf("%d pending gates, want 1: %+v", len(pending), pending)
	}
	return pending[0]
}

func TestApprovalGatesHoldTheRunUntilApproved(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		id := e.createRun("r", gated(approval, approval), full("1.31.2"))
		e.start(id)
		e.wantUpgrading()
		e.wantRun(id, fleet.Pending)
		run := e.wantTree(id)
		st := run.Properties.Status.Stages[0]
		if st.Status.State != fleet.Pending || st.BeforeGates[0].Status.State != fleet.Pending || st.Groups[0].Status.State != fleet.NotStarted {
			t.Fatalf("stage at its before-gate: %+v", st)
		}
		g := e.pendingGate()
		p := g.Properties
		if p.GateType != fleet.GateApproval || p.DisplayName != "approve" || p.Target.ID != id ||
			*p.Target.UpdateRunProperties != (fleet.UpdateRunGateTargetInfo{Name: "r", Stage: "s1", Timing: fleet.Before}) ||
			st.BeforeGates[0].GateID != g.ID || len(g.Name) != 36 {
			t.Fatalf("gate %+v for status %+v", g, st.BeforeGates[0])
		}

		e.approve(g, true)
		e.wantUpgrading("a")
		e.wantRun(id, fleet.Running)
		e.finish("a", nil)
		// The group's after-gate holds the group, its stage and the run.
		e.wantUpgrading()
		e.wantRun(id, fleet.Pending)
		run = e.wantTree(id)
		grp := run.Properties.Status.Stages[0].Groups[0]
		if grp.Status.State != fleet.Pending || grp.AfterGates[0].Status.State != fleet.Pending {
			t.Fatalf("group at its after-gate: %+v", grp)
		}
		g2 := e.pendingGate()
		if *g2.Properties.Target.UpdateRunProperties != (fleet.UpdateRunGateTargetInfo{Name: "r", Stage: "s1", Group: "one", Timing: fleet.After}) {
			t.Fatalf("after gate target %+v", g2.Properties.Target.UpdateRunProperties)
		}
		e.approve(g2, true)
		// Approving twice changes nothing.
		e.eng.GateCompleted(id, g2.ID)
		e.settle()
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantRun(id, fleet.Completed)
		run = e.wantTree(id)
		if n := len(e.gates()); n != 2 {
			t.Fatalf("%d gate resources, want 2", n)
		}
		for _, g := range e.gates() {
			if g.Properties.State != fleet.Completed {
				t.Fatalf("gate %s is %s", g.Name, g.Properties.State)
			}
		}
		if gs := run.Properties.Status.Stages[0].BeforeGates[0].Status; gs.State != fleet.Completed || gs.CompletedTime == nil {
			t.Fatalf("before gate status %+v", gs)
		}
	})
}

func TestGateSurvivesARestartAndAnApprovalWhileStopped(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		id := e.createRun("r", gated(approval, nil), full("1.31.2"))
		e.start(id)
		g := e.pendingGate()
		// A new engine on the same store finds the gate, and makes no
		// second one.
		e.eng.Close()
		e.startEngine()
		e.settle()
		if n := len(e.gates()); n != 1 || e.pendingGate().ID != g.ID {
			t.Fatalf("after a restart: %d gates", n)
		}
		e.wantRun(id, fleet.Pending)
		// Approved while the run is stopped: it takes effect on start.
		e.stop(id)
		e.wantRun(id, fleet.Stopped)
		e.approve(g, true)
		e.wantUpgrading()
		e.wantRun(id, fleet.Stopped)
		e.start(id)
		e.wantUpgrading("a")
		// Approved while no engine runs: the restarted one finds out.
		e.finish("a", nil)
		e.wantUpgrading("b")
		e.finish("b", nil)
		e.wantRun(id, fleet.Completed)
		e.wantTree(id)
	})
}

func TestApprovalWhileTheEngineIsDownTakesEffectOnRestart(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		id := e.createRun("r", gated(approval, nil), full("1.31.2"))
		e.start(id)
		g := e.pendingGate()
		e.eng.Close()
		e.approve(g, false)
		e.startEngine()
		e.settle()
		e.wantUpgrading("a")
	})
}

func TestSkippingAStageSkipsItsGates(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		id := e.createRun("r", gated(approval, approval), full("1.31.2"))
		e.start(id)
		g := e.pendingGate()
		if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipStage, Name: "s1"}); err != nil {
			t.Fatal(err)
		}
		e.wantUpgrading("b")
		run := e.wantTree(id)
		st := run.Properties.Status.Stages[0]
		if st.Status.State != fleet.Skipped || st.BeforeGates[0].Status.State != fleet.Skipped || st.Groups[0].AfterGates[0].Status.State != fleet.Skipped {
			t.Fatalf("skipped stage %+v", st)
		}
		gs := e.gates()
		if len(gs) != 1 || gs[0].ID != g.ID || gs[0].Properties.State != fleet.Skipped {
			t.Fatalf("gates after the skip: %+v", gs)
		}
	})
}

func TestScheduledStartGateCompletesAtItsTime(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		// t0 is Monday 09:00 UTC; the gate opens Monday 12:30 at +02:00.
		sched := []fleet.GateConfiguration{{Type: fleet.GateScheduledStart, ScheduledStartConfiguration: &fleet.ScheduledStart{StartDay: "Monday", StartTime: "12:30", UTCOffset: "+02:00"}}}
		id := e.createRun("r", gated(sched, nil), full("1.31.2"))
		e.start(id)
		want := time.Date(2026, 1, 5, 10, 30, 0, 0, time.UTC)
		g := e.pendingGate()
		if g.Properties.ScheduledTime == nil || !g.Properties.ScheduledTime.Equal(want) || g.Properties.GateType != fleet.GateScheduledStart {
			t.Fatalf("scheduled gate %+v", g.Properties)
		}
		if st := e.run(id).Properties.Status.Stages[0].BeforeGates[0]; st.ScheduledTime == nil || !st.ScheduledTime.Equal(want) {
			t.Fatalf("scheduled gate status %+v", st)
		}
		e.advance(89 * time.Minute)
		e.wantUpgrading()
		e.wantRun(id, fleet.Pending)
		e.advance(time.Minute)
		e.wantUpgrading("a")
		if gs := e.gates(); gs[0].Properties.State != fleet.Completed {
			t.Fatalf("gate after its time: %s", gs[0].Properties.State)
		}
		e.wantTree(id)
	})
}

func TestAfterGateAndWaitRunTogether(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "two", "eastus", "1.30.4")
		s := gated(nil, nil)
		s.Stages[0].AfterGates = approval
		s.Stages[0].AfterStageWaitInSeconds = 600
		id := e.createRun("r", s, full("1.31.2"))
		e.start(id)
		e.finish("a", nil)
		g := e.pendingGate()
		if w := e.run(id).Properties.Status.Stages[0].AfterStageWaitStatus; w.Status.State != fleet.Running {
			t.Fatalf("wait is %s while the after-gate is pending", w.Status.State)
		}
		// The wait ends first; the gate still holds the next stage.
		e.advance(10 * time.Minute)
		e.wantUpgrading()
		e.wantRun(id, fleet.Pending)
		e.approve(g, true)
		e.wantUpgrading("b")
		e.wantTree(id)
	})
}
