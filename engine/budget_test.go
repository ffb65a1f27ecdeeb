package engine_test

import (
	"errors"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

func budgeted(stageBudget, groupBudget string) *fleet.RunStrategy {
	return &fleet.RunStrategy{Stages: []fleet.Stage{
		{Name: "s1", MaxAllowedFailures: stageBudget, Groups: []fleet.Group{{Name: "one", MaxAllowedFailures: groupBudget, MaxConcurrency: "100%"}}},
		{Name: "s2", Groups: []fleet.Group{{Name: "two"}}},
	}}
}

func TestFailuresWithinTheBudgetLetTheRunGoOn(t *testing.T) {
	test(t, func(e *env) {
		for _, n := range []string{"a", "b", "c"} {
			e.member(n, "one", "eastus", "1.30.4")
		}
		e.member("d", "two", "eastus", "1.30.4")
		id := e.createRun("r", budgeted("", "1"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("a", "b", "c")
		e.finish("a", errors.New("node drain timed out"))
		e.wantRun(id, fleet.Running)
		e.finish("b", nil)
		e.finish("c", nil)
		e.wantUpgrading("d")
		e.finish("d", nil)
		e.wantRun(id, fleet.Completed)
		run := e.wantTree(id)
		st := run.Properties.Status
		if st.FailureCount != 1 || st.Stages[0].FailureCount != 1 || st.Stages[0].Groups[0].FailureCount != 1 || st.Stages[1].FailureCount != 0 {
			t.Fatalf("failure counts: run %d, stage %d, group %d", st.FailureCount, st.Stages[0].FailureCount, st.Stages[0].Groups[0].FailureCount)
		}
		a := e.memberStatus(id, "a")
		if a.Status.State != fleet.Failed || !a.WithinFailureBudget || st.Stages[0].Status.State != fleet.Completed || st.Status.Error != nil {
			t.Fatalf("member a %+v; stage %s; run error %v", a, st.Stages[0].Status.State, st.Status.Error)
		}
	})
}

func TestAFailureOverTheBudgetFailsTheRun(t *testing.T) {
	test(t, func(e *env) {
		for _, n := range []string{"a", "b", "c"} {
			e.member(n, "one", "eastus", "1.30.4")
		}
		e.member("d", "two", "eastus", "1.30.4")
		id := e.createRun("r", budgeted("1", ""), full("1.31.2"))
		e.start(id)
		e.finish("a", errors.New("node drain timed out"))
		e.wantRun(id, fleet.Running)
		e.finish("b", errors.New("quota exceeded"))
		e.finish("c", nil)
		e.wantRun(id, fleet.Failed)
		e.wantUpgrading()
		run := e.wantTree(id)
		if st := run.Properties.Status; st.FailureCount != 2 || st.Status.Error == nil || e.memberStatus(id, "b").WithinFailureBudget {
			t.Fatalf("run after a second failure: %+v", st.Status)
		}
		e.wantState(id, "d", fleet.NotStarted)
	})
}
