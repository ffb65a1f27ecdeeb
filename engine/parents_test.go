package engine_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
)

// tableParent is the parent-state table of docs/engine.md, written from
// the set of states the children show.
func tableParent(children []fleet.State, runRunning bool) fleet.State {
	return tableNode(children, nil, runRunning)
}

// tableNode is the table over a node's children and its own gates: a
// Pending gate makes the node Pending while the run runs (rule 1a), and
// otherwise counts as a child that began and is not finished.
func tableNode(children, gates []fleet.State, runRunning bool) fleet.State {
	has := map[fleet.State]bool{}
	for _, s := range children {
		has[s] = true
	}
	gatePending := false
	for _, s := range gates {
		if s == fleet.Pending {
			gatePending = true
			if !runRunning {
				has[fleet.Stopped] = true
			}
			continue
		}
		has[s] = true
	}
	only := func(allowed ...fleet.State) bool {
		for s := range has {
			if !slices.Contains(allowed, s) {
				return false
			}
		}
		return true
	}
	switch {
	case has[fleet.Failed]:
		return fleet.Failed
	case gatePending && runRunning:
		return fleet.Pending
	case has[fleet.Running] || has[fleet.Stopping]:
		return fleet.Running
	case len(has) > 0 && only(fleet.Skipped):
		return fleet.Skipped
	case only(fleet.Completed, fleet.Skipped):
		return fleet.Completed
	case only(fleet.NotStarted, fleet.Skipped):
		return fleet.NotStarted
	case !runRunning:
		return fleet.Stopped
	case only(fleet.Pending, fleet.Completed, fleet.Skipped):
		return fleet.Pending
	}
	return fleet.Running
}

// tableStage is a stage's row of the table: its groups, then, once they
// are finished, its wait (a zero-second wait that completed counts as the
// groups' state).
func tableStage(groups, before, after []fleet.State, wait fleet.State, seconds int, runRunning bool) fleet.State {
	g := tableNode(groups, before, runRunning)
	if g != fleet.Completed && g != fleet.Skipped {
		return g
	}
	if wait == fleet.Completed && seconds == 0 {
		wait = g
	}
	return tableNode([]fleet.State{g, wait}, after, runRunning)
}

// gateCombos are the states a node's gates can show together.
var gateCombos = [][]fleet.State{nil, {fleet.NotStarted}, {fleet.Pending}, {fleet.Completed}, {fleet.Skipped}, {fleet.Completed, fleet.Pending}, {fleet.Skipped, fleet.Completed}}

var childStates = []fleet.State{fleet.NotStarted, fleet.Running, fleet.Pending, fleet.Stopped, fleet.Completed, fleet.Skipped, fleet.Failed}

// TestParentStateTable checks the engine's table against the documented
// one for every combination of up to three children's states, and the
// rows docs/engine.md lists.
func TestParentStateTable(t *testing.T) {
	var combos [][]fleet.State
	for _, a := range childStates {
		combos = append(combos, []fleet.State{a})
		for _, b := range childStates {
			combos = append(combos, []fleet.State{a, b})
			for _, c := range childStates {
				combos = append(combos, []fleet.State{a, b, c})
			}
		}
	}
	for _, cs := range combos {
		for _, running := range []bool{true, false} {
			if got, want := engine.ParentState(cs, running), tableParent(cs, running); got != want {
				t.Errorf("children %v (run running %v): engine says %s, table says %s", cs, running, got, want)
			}
		}
	}
	for _, tc := range []struct {
		children []fleet.State
		running  bool
		want     fleet.State
	}{
		{[]fleet.State{fleet.Completed, fleet.Failed, fleet.Running}, true, fleet.Failed},
		{[]fleet.State{fleet.Completed, fleet.Running}, false, fleet.Running},
		{[]fleet.State{fleet.Skipped, fleet.Skipped}, true, fleet.Skipped},
		{[]fleet.State{fleet.Skipped, fleet.Completed}, false, fleet.Completed},
		{[]fleet.State{fleet.Skipped, fleet.NotStarted}, true, fleet.NotStarted},
		{[]fleet.State{fleet.Stopped, fleet.NotStarted}, false, fleet.Stopped},
		{[]fleet.State{fleet.Stopped, fleet.NotStarted}, true, fleet.Running},
		{[]fleet.State{fleet.Completed, fleet.NotStarted}, false, fleet.Stopped},
		{[]fleet.State{fleet.Completed, fleet.Pending}, true, fleet.Pending},
		{[]fleet.State{fleet.Completed, fleet.Pending}, false, fleet.Stopped},
		{[]fleet.State{fleet.Pending, fleet.NotStarted}, true, fleet.Running},
	} {
		if got := engine.ParentState(tc.children, tc.running); got != tc.want {
			t.Errorf("children %v (run running %v): %s, want %s", tc.children, tc.running, got, tc.want)
		}
	}
	waits := []fleet.State{fleet.NotStarted, fleet.Running, fleet.Stopped, fleet.Completed, fleet.Skipped}
	for _, cs := range combos {
		for _, w := range waits {
			for _, secs := range []int{0, 60} {
				for _, running := range []bool{true, false} {
					for _, before := range gateCombos {
						for _, after := range gateCombos {
							if got, want := engine.StageState(cs, before, after, w, secs, running), tableStage(cs, before, after, w, secs, running); got != want {
								t.Errorf("stage over groups %v, gates %v and %v, wait %s (%ds), run running %v: engine says %s, table says %s", cs, before, after, w, secs, running, got, want)
							}
						}
					}
				}
			}
		}
	}
	for _, tc := range []struct {
		groups  []fleet.State
		wait    fleet.State
		seconds int
		running bool
		want    fleet.State
	}{
		{[]fleet.State{fleet.Skipped}, fleet.Skipped, 60, false, fleet.Skipped},
		{[]fleet.State{fleet.Skipped}, fleet.NotStarted, 60, true, fleet.NotStarted},
		{[]fleet.State{fleet.Skipped}, fleet.Completed, 0, true, fleet.Skipped},
		{[]fleet.State{fleet.Completed}, fleet.Running, 60, true, fleet.Running},
		{[]fleet.State{fleet.Completed}, fleet.Stopped, 60, false, fleet.Stopped},
		{[]fleet.State{fleet.Completed}, fleet.Completed, 60, true, fleet.Completed},
		{[]fleet.State{fleet.Pending, fleet.Completed}, fleet.NotStarted, 60, true, fleet.Pending},
		{[]fleet.State{fleet.Running}, fleet.Skipped, 60, true, fleet.Running},
	} {
		if got := engine.StageState(tc.groups, nil, nil, tc.wait, tc.seconds, tc.running); got != tc.want {
			t.Errorf("stage over %v, wait %s (%ds), running %v: %s, want %s", tc.groups, tc.wait, tc.seconds, tc.running, got, tc.want)
		}
	}
	for _, cs := range combos {
		for _, gates := range gateCombos {
			for _, running := range []bool{true, false} {
				if got, want := engine.NodeState(cs, gates, running), tableNode(cs, gates, running); got != want {
					t.Errorf("children %v, gates %v (run running %v): engine says %s, table says %s", cs, gates, running, got, want)
				}
			}
		}
	}
	for _, tc := range []struct {
		members, gates []fleet.State
		running        bool
		want           fleet.State
	}{
		{[]fleet.State{fleet.NotStarted}, []fleet.State{fleet.Pending}, true, fleet.Pending},
		{[]fleet.State{fleet.NotStarted}, []fleet.State{fleet.Pending}, false, fleet.Stopped},
		{[]fleet.State{fleet.Completed}, []fleet.State{fleet.Completed, fleet.Pending}, true, fleet.Pending},
		{[]fleet.State{fleet.NotStarted}, []fleet.State{fleet.Completed}, true, fleet.Running},
		{[]fleet.State{fleet.Skipped}, []fleet.State{fleet.Skipped}, true, fleet.Skipped},
		{[]fleet.State{fleet.Failed}, []fleet.State{fleet.Pending}, true, fleet.Failed},
	} {
		if got := engine.NodeState(tc.members, tc.gates, tc.running); got != tc.want {
			t.Errorf("members %v, gates %v, running %v: %s, want %s", tc.members, tc.gates, tc.running, got, tc.want)
		}
	}
}

// treeViolations checks a run's status tree against the table and the
// time rules: every parent is the table's function of its children; a
// node that is not NotStarted has a startTime and a NotStarted one has
// none; a Completed, Skipped or Failed node has a completedTime no earlier
// than its start, and no other node has one.
func treeViolations(run *fleet.UpdateRun) []string {
	st := run.Properties.Status
	var out []string
	running := st.Status.State == fleet.Running || st.Status.State == fleet.Pending
	times := func(what string, u fleet.UpdateStatus) {
		switch {
		case u.State == fleet.NotStarted && u.StartTime != nil:
			out = append(out, fmt.Sprintf("%s is NotStarted with startTime %v", what, u.StartTime))
		case u.State != fleet.NotStarted && u.StartTime == nil:
			out = append(out, fmt.Sprintf("%s is %s without a startTime", what, u.State))
		}
		term := u.State == fleet.Completed || u.State == fleet.Skipped || u.State == fleet.Failed
		switch {
		case term && u.CompletedTime == nil:
			out = append(out, fmt.Sprintf("%s is %s without a completedTime", what, u.State))
		case !term && u.CompletedTime != nil:
			out = append(out, fmt.Sprintf("%s is %s with completedTime %v", what, u.State, u.CompletedTime))
		case term && u.StartTime != nil && u.CompletedTime.Before(*u.StartTime):
			out = append(out, fmt.Sprintf("%s completed at %v before it started at %v", what, u.CompletedTime, u.StartTime))
		}
	}
	times("run", st.Status)
	for _, stage := range st.Stages {
		var gs []fleet.State
		for _, g := range stage.Groups {
			var ms []fleet.State
			for _, m := range g.Members {
				s := m.Status.State
				if s == fleet.Failed && m.WithinFailureBudget {
					s = fleet.Completed // a failure within a budget counts as done
				}
				ms = append(ms, s)
				times("member "+m.Name, m.Status)
			}
			gs = append(gs, g.Status.State)
			gates := append(gateStatesOf(g.BeforeGates), gateStatesOf(g.AfterGates)...)
			for _, x := range append(g.BeforeGates, g.AfterGates...) {
				times("gate "+x.DisplayName, x.Status)
			}
			if want := tableNode(ms, gates, running); g.Status.State != want {
				out = append(out, fmt.Sprintf("group %s is %s over members %v (run %s); the table says %s", g.Name, g.Status.State, ms, st.Status.State, want))
			}
			times("group "+g.Name, g.Status)
		}
		w := stage.AfterStageWaitStatus
		times("the wait after stage "+stage.Name, w.Status)
		for _, x := range append(stage.BeforeGates, stage.AfterGates...) {
			times("gate "+x.DisplayName, x.Status)
		}
		if want := tableStage(gs, gateStatesOf(stage.BeforeGates), gateStatesOf(stage.AfterGates), w.Status.State, w.WaitDurationInSeconds, running); stage.Status.State != want {
			out = append(out, fmt.Sprintf("stage %s is %s over groups %v and wait %s (run %s); the table says %s", stage.Name, stage.Status.State, gs, w.Status.State, st.Status.State, want))
		}
		times("stage "+stage.Name, stage.Status)
	}
	return out
}

func gateStatesOf(gates []fleet.GateStatus) []fleet.State {
	var out []fleet.State
	for _, g := range gates {
		out = append(out, g.Status.State)
	}
	return out
}

func (e *env) wantTree(id string) *fleet.UpdateRun {
	e.t.Helper()
	run := e.run(id)
	for _, v := range treeViolations(run) {
		e.t.Error(v)
	}
	return run
}

func stageOf(run *fleet.UpdateRun, name string) fleet.StageStatus {
	for _, s := range run.Properties.Status.Stages {
		if s.Name == name {
			return s
		}
	}
	panic("no stage " + name)
}

func groupOf(run *fleet.UpdateRun, name string) fleet.GroupStatus {
	for _, s := range run.Properties.Status.Stages {
		for _, g := range s.Groups {
			if g.Name == name {
				return g
			}
		}
	}
	panic("no group " + name)
}

// TestParentStatesOfReproducedCases drives each case in which parents
// disagreed with their children and checks the tree after it.
func TestParentStatesOfReproducedCases(t *testing.T) {
	type want struct {
		node  string // "stage:x" or "group:x"
		state fleet.State
	}
	fail := cluster.Errorf(cluster.Failed, "UpgradeFailed", "node drain timed out")
	for _, tc := range []struct {
		name string
		act  func(e *env, id string)
		want []want
	}{{
		name: "stop mid-group",
		act: func(e *env, id string) {
			e.start(id)
			e.stop(id)
			e.finish("a1", nil)
			e.wantRun(id, fleet.Stopped)
		},
		want: []want{{"group:one", fleet.Stopped}, {"stage:s1", fleet.Stopped}, {"group:two", fleet.NotStarted}, {"stage:s2", fleet.NotStarted}},
	}, {
		name: "skip the failed member of a failed run",
		act: func(e *env, id string) {
			e.start(id)
			e.finish("a1", nil)
			e.finish("a2", fail)
			e.wantRun(id, fleet.Failed)
			if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "a2"}); err != nil {
				e.t.Fatal(err)
			}
		},
		want: []want{{"group:one", fleet.Completed}, {"stage:s1", fleet.Stopped}, {"stage:s2", fleet.NotStarted}},
	}, {
		name: "skip a whole stage before start",
		act: func(e *env, id string) {
			if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipStage, Name: "s2"}); err != nil {
				e.t.Fatal(err)
			}
		},
		want: []want{{"group:two", fleet.Skipped}, {"stage:s2", fleet.Skipped}, {"stage:s1", fleet.NotStarted}},
	}, {
		name: "skip a member of a later stage while an earlier one upgrades",
		act: func(e *env, id string) {
			e.start(id)
			e.wantUpgrading("a1")
			if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipMember, Name: "b1"}); err != nil {
				e.t.Fatal(err)
			}
		},
		want: []want{{"stage:s1", fleet.Running}, {"group:two", fleet.NotStarted}, {"stage:s2", fleet.NotStarted}},
	}, {
		name: "skip every member of a later stage while an earlier one upgrades",
		act: func(e *env, id string) {
			e.start(id)
			if err := e.skip(id, fleet.SkipTarget{Type: fleet.SkipGroup, Name: "two"}); err != nil {
				e.t.Fatal(err)
			}
		},
		want: []want{{"stage:s1", fleet.Running}, {"group:two", fleet.Skipped}, {"stage:s2", fleet.NotStarted}},
	}, {
		name: "a freshly started group",
		act:  func(e *env, id string) { e.start(id) },
		want: []want{{"group:one", fleet.Running}, {"stage:s1", fleet.Running}, {"stage:s2", fleet.NotStarted}},
	}, {
		name: "a failed stage",
		act: func(e *env, id string) {
			e.start(id)
			e.finish("a1", fail)
			e.wantRun(id, fleet.Failed)
		},
		want: []want{{"group:one", fleet.Failed}, {"stage:s1", fleet.Failed}, {"stage:s2", fleet.NotStarted}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			test(t, func(e *env) {
				e.member("a1", "one", "eastus", "1.30.4")
				e.member("a2", "one", "eastus", "1.30.4")
				e.member("b1", "two", "eastus", "1.30.4")
				e.member("b2", "two", "eastus", "1.30.4")
				id := e.createRun("r", stages("s1/600:one;s2:two"), full("1.31.2"))
				e.advance(time.Minute)
				tc.act(e, id)
				run := e.wantTree(id)
				for _, w := range tc.want {
					var u fleet.UpdateStatus
					switch kind, name := w.node[:5], w.node[6:]; kind {
					case "stage":
						u = stageOf(run, name).Status
					default:
						u = groupOf(run, name).Status
					}
					if u.State != w.state {
						t.Errorf("%s is %s, want %s", w.node, u.State, w.state)
					}
				}
				if t.Failed() {
					for _, s := range run.Properties.Status.Stages {
						t.Logf("stage %s %s %v..%v", s.Name, s.Status.State, s.Status.StartTime, s.Status.CompletedTime)
						for _, g := range s.Groups {
							t.Logf("  group %s %s %v..%v", g.Name, g.Status.State, g.Status.StartTime, g.Status.CompletedTime)
							for _, m := range g.Members {
								t.Logf("    member %s %s %v..%v", m.Name, m.Status.State, m.Status.StartTime, m.Status.CompletedTime)
							}
						}
					}
				}
			})
		})
	}
}
