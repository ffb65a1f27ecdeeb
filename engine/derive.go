package engine

import (
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

func canonical(id string) string { return store.CanonicalID(id) }

// tally counts the states of a set of children.
type tally struct {
	n, running, failed, pending, notStarted, stopped, completed, skipped int
	// gatePending counts the node's own gates that are Pending.
	gatePending int
}

func (t tally) finished() bool { return t.completed+t.skipped == t.n }

func (t *tally) add(s fleet.State) { t.addN(s, 1) }

// addN counts n more (or, negative, fewer) children in state s.
func (t *tally) addN(s fleet.State, n int) {
	t.n += n
	switch s {
	case fleet.Running, fleet.Stopping:
		t.running += n
	case fleet.Failed:
		t.failed += n
	case fleet.Pending:
		t.pending += n
	case fleet.NotStarted:
		t.notStarted += n
	case fleet.Stopped:
		t.stopped += n
	case fleet.Completed:
		t.completed += n
	case fleet.Skipped:
		t.skipped += n
	}
}

// parentState is the table of docs/engine.md: the state of a group over
// its members, or of a stage over its groups (and, once they are all
// finished, its after-stage wait), as a function of the children's states
// and of whether the run is running. The rules are tried in order:
//
//  1. a child Failed: Failed
//     1a. one of the node's own gates Pending, and the run running: Pending
//  2. a child Running (or Stopping): Running
//  3. every child Skipped: Skipped
//  4. every child Completed or Skipped: Completed
//  5. no child began (each NotStarted or Skipped): NotStarted
//  6. the run is not running: Stopped
//  7. every unfinished child Pending: Pending
//  8. otherwise: Running
//
// It is pure; a parent with no children is Completed.
func parentState(children []fleet.State, runRunning bool) fleet.State {
	return nodeState(children, nil, runRunning)
}

// nodeState is parentState over a node's children and its own gates: a
// gate counts as a child, except that a Pending one makes the node
// Pending while the run runs (rule 1a) and counts as begun and unfinished
// otherwise.
func nodeState(children, gates []fleet.State, runRunning bool) fleet.State {
	var t tally
	for _, s := range children {
		t.add(s)
	}
	for _, s := range gates {
		t.addGate(s)
	}
	return t.state(runRunning)
}

// addGate counts one of the node's own gates.
func (t *tally) addGate(s fleet.State) {
	if s == fleet.Pending {
		t.n++
		t.gatePending++
		return
	}
	t.add(s)
}

func (t tally) state(runRunning bool) fleet.State {
	switch {
	case t.failed > 0:
		return fleet.Failed
	case t.gatePending > 0 && runRunning:
		return fleet.Pending
	case t.running > 0:
		return fleet.Running
	case t.n > 0 && t.skipped == t.n:
		return fleet.Skipped
	case t.finished():
		return fleet.Completed
	case t.notStarted+t.skipped == t.n:
		return fleet.NotStarted
	case !runRunning:
		return fleet.Stopped
	case t.pending == t.n-t.completed-t.skipped:
		return fleet.Pending
	}
	return fleet.Running
}

// stageState is a stage's state: its groups' and before-gates' state by
// nodeState, and once those are finished, nodeState over that result, the
// after-stage wait and the after-gates, so the stage ends only when the
// wait and its after-gates do. A wait of zero seconds that completed
// counts as its groups' state (it did not wait): a stage whose groups
// were all skipped is Skipped.
func stageState(groups, before, after []fleet.State, wait fleet.State, waitSeconds int, runRunning bool) fleet.State {
	g := nodeState(groups, before, runRunning)
	if !g.Finished() {
		return g
	}
	if wait == fleet.Completed && waitSeconds == 0 {
		wait = g
	}
	return nodeState([]fleet.State{g, wait}, after, runRunning)
}

// terminal reports whether a node in state s has ended: Completed,
// Skipped or Failed. A terminal node has a completedTime; no other has.
func terminal(s fleet.State) bool { return s.Finished() || s == fleet.Failed }

// deriveGroup sets a group's state and times from its members (their
// counts, see groupSum) and its gates. A member being inspected counts as
// Running.
func (rs *runState) deriveGroup(si, gi int) {
	g := rs.group(si, gi)
	was := g.Status
	wasFailures := g.FailureCount
	defer func() {
		if !sameStatus(was, g.Status) || wasFailures != g.FailureCount {
			rs.touchGroup(si, gi)
		}
	}()
	sum := rs.sum(si, gi)
	t := sum.t
	last := sum.lastPtr()
	for _, gs := range [][]fleet.GateStatus{g.BeforeGates, g.AfterGates} {
		for _, x := range gs {
			t.addGate(x.Status.State)
			if ct := x.Status.CompletedTime; ct != nil && (last == nil || ct.After(*last)) {
				last = ct
			}
		}
	}
	if g.FailureCount != sum.failures {
		g.FailureCount = sum.failures
		rs.dirty = true
	}
	rs.setDerived(&g.Status, t.state(rs.phase() == fleet.Running), last)
}

// setDerived sets a parent's derived state and its times: no startTime
// while NotStarted, else the time it first left NotStarted; a
// completedTime (the latest of its children's) only while terminal.
func (rs *runState) setDerived(u *fleet.UpdateStatus, s fleet.State, last *time.Time) {
	rs.setState(u, s)
	if s == fleet.NotStarted {
		if u.StartTime != nil {
			u.StartTime = nil
			rs.dirty = true
		}
	} else {
		rs.setStart(u, rs.now)
	}
	if !terminal(s) {
		rs.setCompleted(u, nil)
		return
	}
	if last == nil {
		last = &rs.now
	}
	if u.StartTime != nil && last.Before(*u.StartTime) {
		last = u.StartTime
	}
	rs.setCompleted(u, last)
}

// deriveStage derives a stage's groups and then the stage.
func (rs *runState) deriveStage(si int) {
	st := rs.stage(si)
	states := make([]fleet.State, len(st.Groups))
	failures := 0
	defer func() {
		if st.FailureCount != failures {
			st.FailureCount = failures
			rs.dirty = true
		}
	}()
	var last *time.Time
	later := func(t *time.Time) {
		if t != nil && (last == nil || t.After(*last)) {
			last = t
		}
	}
	for gi := range st.Groups {
		rs.deriveGroup(si, gi)
		states[gi] = st.Groups[gi].Status.State
		failures += st.Groups[gi].FailureCount
		later(st.Groups[gi].Status.CompletedTime)
	}
	w := st.AfterStageWaitStatus
	if w.Status.State != fleet.NotStarted && w.Status.StartTime == nil {
		// A wait skipped before it ran starts and ends at once.
		start := rs.now
		if ct := w.Status.CompletedTime; ct != nil {
			start = *ct
		}
		w.Status.StartTime = &start
		rs.dirty = true
	}
	later(w.Status.CompletedTime)
	for _, gs := range [][]fleet.GateStatus{st.BeforeGates, st.AfterGates} {
		for _, x := range gs {
			later(x.Status.CompletedTime)
		}
	}
	rs.setDerived(&st.Status, stageState(states, gateStates(st.BeforeGates), gateStates(st.AfterGates), w.Status.State, w.WaitDurationInSeconds, rs.phase() == fleet.Running), last)
}

// deriveRun sets the run's visible state: Pending while it runs and its
// current stage waits, otherwise its phase.
func (rs *runState) deriveRun() {
	failures := 0
	for _, s := range rs.status().Stages {
		failures += s.FailureCount
	}
	if rs.status().FailureCount != failures {
		rs.status().FailureCount = failures
		rs.dirty = true
	}
	st := &rs.status().Status
	if rs.phase() != fleet.Running {
		return
	}
	state := fleet.Running
	if si := rs.currentStage(); si >= 0 && rs.stage(si).Status.State == fleet.Pending {
		state = fleet.Pending
	}
	rs.setState(st, state)
}

// deriveAll derives every stage and the run.
func (rs *runState) deriveAll() {
	for si := range rs.status().Stages {
		rs.deriveStage(si)
	}
	rs.deriveRun()
}

// currentStage is the first stage not finished, or -1.
func (rs *runState) currentStage() int {
	for si := range rs.status().Stages {
		if !rs.stage(si).Status.State.Finished() {
			return si
		}
	}
	return -1
}
