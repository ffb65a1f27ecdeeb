package engine

import (
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

func canonical(id string) string { return store.CanonicalID(id) }

// tally counts the states of a set of children.
type tally struct {
	n, running, failed, pending, notStarted, completed, skipped int
}

func (t tally) finished() bool { return t.completed+t.skipped == t.n }

// derived is the state a parent takes from its children's tally: Failed if
// any failed, Running if any runs, Completed (Skipped if all skipped) once
// all finished, Pending when every unfinished child waits, NotStarted when
// none began; otherwise the parent is part way through, Running while the
// run runs and Stopped when it does not.
func (t tally) derived(runPhase fleet.State) fleet.State {
	switch {
	case t.failed > 0:
		return fleet.Failed
	case t.running > 0:
		return fleet.Running
	case t.finished():
		if t.skipped == t.n {
			return fleet.Skipped
		}
		return fleet.Completed
	case t.notStarted == 0:
		return fleet.Pending
	case t.notStarted == t.n:
		return fleet.NotStarted
	case runPhase == fleet.Running:
		return fleet.Running
	}
	return fleet.Stopped
}

func (t *tally) add(s fleet.State) {
	t.n++
	switch s {
	case fleet.Running, fleet.Stopping:
		t.running++
	case fleet.Failed:
		t.failed++
	case fleet.Pending:
		t.pending++
	case fleet.NotStarted, fleet.Stopped:
		t.notStarted++
	case fleet.Completed:
		t.completed++
	case fleet.Skipped:
		t.skipped++
	}
}

// deriveGroup sets a group's state and times from its members. A member
// being inspected (inspecting holds the indexes of those of the group)
// counts as running.
func (rs *runState) deriveGroup(si, gi int, inspecting []int) {
	g := rs.group(si, gi)
	was := g.Status
	defer func() {
		if !sameStatus(was, g.Status) {
			rs.touchGroup(si, gi)
		}
	}()
	var t tally
	var first, last *time.Time
	for mi := range g.Members {
		m := &g.Members[mi]
		t.add(m.Status.State)
		if st := m.Status.StartTime; st != nil && (first == nil || st.Before(*first)) {
			first = st
		}
		if ct := m.Status.CompletedTime; ct != nil && (last == nil || ct.After(*last)) {
			last = ct
		}
	}
	for _, mi := range inspecting {
		switch g.Members[mi].Status.State {
		case fleet.NotStarted:
			t.notStarted--
			t.running++
		case fleet.Pending:
			t.pending--
			t.running++
		}
	}
	rs.setState(&g.Status, t.derived(rs.phase()))
	if first != nil && (g.Status.StartTime == nil || !g.Status.StartTime.Equal(*first)) {
		f := *first
		g.Status.StartTime = &f
		rs.dirty = true
	}
	if t.finished() || t.failed > 0 && t.running == 0 {
		rs.setCompleted(&g.Status, last)
	} else {
		rs.setCompleted(&g.Status, nil)
	}
}

// deriveStage derives a stage's groups and then the stage: like a group
// over its groups, except that a stage whose groups are all finished is
// Running while its after-stage wait runs (Stopped while it is stopped),
// and finished only once the wait is.
func (rs *runState) deriveStage(si int) {
	st := rs.stage(si)
	var inspecting [][]int // by group: the members being inspected
	for k := range rs.inspecting {
		if k.s == si {
			if inspecting == nil {
				inspecting = make([][]int, len(st.Groups))
			}
			inspecting[k.g] = append(inspecting[k.g], k.m)
		}
	}
	var t tally
	for gi := range st.Groups {
		var insp []int
		if inspecting != nil {
			insp = inspecting[gi]
		}
		rs.deriveGroup(si, gi, insp)
		t.add(st.Groups[gi].Status.State)
	}
	state := t.derived(rs.phase())
	if t.finished() {
		w := st.AfterStageWaitStatus
		switch ws := w.Status.State; {
		case ws == fleet.Skipped && t.skipped == t.n:
			state = fleet.Skipped
		case ws.Finished():
			state = fleet.Completed
			if t.skipped == t.n && w.WaitDurationInSeconds == 0 {
				state = fleet.Skipped
			}
		case ws == fleet.Running:
			state = fleet.Running
		case ws == fleet.Stopped || rs.phase() != fleet.Running:
			state = fleet.Stopped
		default:
			state = fleet.Running
		}
	}
	if state != fleet.NotStarted && st.Status.StartTime == nil {
		// A stage skipped before it ran, or resumed from a stored
		// tree, takes its start from its earliest group.
		for _, g := range st.Groups {
			if g.Status.StartTime != nil && (st.Status.StartTime == nil || g.Status.StartTime.Before(*st.Status.StartTime)) {
				s := *g.Status.StartTime
				st.Status.StartTime = &s
				rs.dirty = true
			}
		}
	}
	switch {
	case state.Finished() && st.Status.CompletedTime == nil:
		rs.setCompleted(&st.Status, &rs.now)
	case !state.Finished() && state != fleet.Failed:
		rs.setCompleted(&st.Status, nil)
	}
	rs.setState(&st.Status, state)
}

// deriveRun sets the run's visible state: Pending while it runs and its
// current stage waits, otherwise its phase.
func (rs *runState) deriveRun() {
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
