package feed

import (
	"fmt"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// Snapshot is the states of a run's nodes at one version of the run, to
// compare the next version with. The zero Snapshot knows no node.
type Snapshot struct {
	states []fleet.State
}

// node is one node of a status tree, met in a walk. Its name, path and
// message are made only when asked for, as most nodes of a large run have
// not changed.
type node struct {
	kind       Kind
	status     *fleet.UpdateStatus
	st         *fleet.RunStatus
	runName    string
	si, gi, mi int
	// For a gate: gi is -1 for a stage's gate, and gate is the gate.
	gate   *fleet.GateStatus
	timing fleet.Timing
}

func (n node) stage() *fleet.StageStatus   { return &n.st.Stages[n.si] }
func (n node) group() *fleet.GroupStatus   { return &n.stage().Groups[n.gi] }
func (n node) member() *fleet.MemberStatus { return &n.group().Members[n.mi] }

func (n node) name() string {
	switch n.kind {
	case KindGate:
		if n.gate.DisplayName != "" {
			return n.gate.DisplayName
		}
		return strings.ToLower(string(n.timing)) + "Gate"
	case KindStage:
		return n.stage().Name
	case KindWait:
		return "afterStageWait"
	case KindGroup:
		return n.group().Name
	case KindMember:
		return n.member().Name
	}
	return n.runName
}

func (n node) path() string {
	switch n.kind {
	case KindGate:
		p := n.stage().Name
		if n.gi >= 0 {
			p += "/" + n.group().Name
		}
		return fmt.Sprintf("%s/%sGates/%d", p, strings.ToLower(string(n.timing)), n.mi)
	case KindStage:
		return n.stage().Name
	case KindWait:
		return n.stage().Name + "/afterStageWait"
	case KindGroup:
		return n.stage().Name + "/" + n.group().Name
	case KindMember:
		return n.stage().Name + "/" + n.group().Name + "/" + n.member().Name
	}
	return ""
}

func (n node) message() string {
	if msg := errMessage(*n.status); msg != "" || n.kind != KindMember {
		return msg
	}
	return n.member().Message
}

// walk visits a run's nodes: pre before a node's children, post after.
// Their indexes are the same in every walk of a tree of one shape. A
// stage's or group's gates are leaves of it: its before-gates come
// before its groups or members, its after-gates after them.
func walk(runName string, st *fleet.RunStatus, pre, post func(i int, n node)) {
	walkSkipping(runName, st, nil, pre, post)
}

// walkSkipping is walk that passes over the members of the groups for
// which skip (if set) is true, keeping their indexes.
func walkSkipping(runName string, st *fleet.RunStatus, skip func(si, gi int) bool, pre, post func(i int, n node)) {
	i := 0
	leaf := func(n node) {
		pre(i, n)
		post(i, n)
		i++
	}
	gates := func(gs []fleet.GateStatus, timing fleet.Timing, si, gi int) {
		for k := range gs {
			leaf(node{kind: KindGate, status: &gs[k].Status, st: st, si: si, gi: gi, mi: k, gate: &gs[k], timing: timing})
		}
	}
	root := i
	i++
	rn := node{kind: KindRun, status: &st.Status, st: st, runName: runName}
	pre(root, rn)
	for si := range st.Stages {
		s := &st.Stages[si]
		sn := node{kind: KindStage, status: &s.Status, st: st, si: si}
		me := i
		i++
		pre(me, sn)
		gates(s.BeforeGates, fleet.Before, si, -1)
		for gi := range s.Groups {
			g := &s.Groups[gi]
			gn := node{kind: KindGroup, status: &g.Status, st: st, si: si, gi: gi}
			gme := i
			i++
			pre(gme, gn)
			gates(g.BeforeGates, fleet.Before, si, gi)
			if skip != nil && skip(si, gi) {
				i += len(g.Members)
			} else {
				for mi := range g.Members {
					leaf(node{kind: KindMember, status: &g.Members[mi].Status, st: st, si: si, gi: gi, mi: mi})
				}
			}
			gates(g.AfterGates, fleet.After, si, gi)
			post(gme, gn)
		}
		gates(s.AfterGates, fleet.After, si, -1)
		if w := s.AfterStageWaitStatus; w != nil {
			leaf(node{kind: KindWait, status: &w.Status, st: st, si: si})
		}
		post(me, sn)
	}
	post(root, rn)
}

func errMessage(u fleet.UpdateStatus) string {
	if u.Error != nil {
		return u.Error.Message
	}
	return ""
}

// Take records the states of a run's nodes.
func Take(run *fleet.UpdateRun) Snapshot {
	st := run.Properties.Status
	if st == nil {
		return Snapshot{}
	}
	var s Snapshot
	walk(run.Name, st, func(_ int, n node) { s.states = append(s.states, n.status.State) }, func(int, node) {})
	return s
}

// Diff returns the changes from the snapshot to the run as it is now, and
// the run's new snapshot. Each change is stamped with base's run, fleet,
// time, caller and ETag. Changes come in the order a reader expects: a
// parent starts before its children and ends after them (a run goes
// Running before its first stage does, and Completed after its last
// member). A snapshot of another shape (or none) is read as a run whose
// nodes were all NotStarted. Diff reuses the storage of before: use only
// the snapshot it returns afterwards.
func Diff(before Snapshot, run *fleet.UpdateRun, base Change) ([]Change, Snapshot) {
	return DiffGroups(before, run, base, nil)
}

// DiffGroups is Diff for a caller that knows which groups' members may
// have changed since the snapshot: the members of the groups for which
// unchanged is true are not compared (their states in the snapshot are
// kept), so a diff costs what changed rather than the size of the run. A
// snapshot of another shape is compared whole. unchanged nil is Diff.
func DiffGroups(before Snapshot, run *fleet.UpdateRun, base Change, unchanged func(stage, group int) bool) ([]Change, Snapshot) {
	st := run.Properties.Status
	if st == nil {
		return nil, Snapshot{}
	}
	if base.RunID == "" {
		base.RunID = run.ID
	}
	if base.FleetID == "" {
		if f, _, _, err := fleet.ParseFleetChildID(run.ID); err == nil {
			base.FleetID = f.ID()
		}
	}
	var out []Change
	emit := func(old fleet.State, n node) {
		c := base
		c.Kind, c.Name, c.Path = n.kind, n.name(), n.path()
		c.Old, c.New, c.Message = old, n.status.State, n.message()
		if n.gate != nil {
			c.GateID = n.gate.GateID
		}
		out = append(out, c)
	}
	// One walk reads the old states and writes the new ones into the
	// same slice when the shapes match.
	states := before.states
	var fresh []fleet.State
	count := size(st)
	same := len(states) == count
	if !same {
		fresh = make([]fleet.State, count)
		states = fresh
	}
	old := make(map[int]fleet.State)
	if !same {
		unchanged = nil
	}
	walkSkipping(run.Name, st, unchanged, func(i int, n node) {
		prev := fleet.NotStarted
		if same {
			prev = states[i]
		}
		s := n.status.State
		if s != prev {
			old[i] = prev
			if !ends(s) {
				emit(prev, n)
			}
		}
		states[i] = s
	}, func(i int, n node) {
		if prev, changed := old[i]; changed && ends(n.status.State) {
			emit(prev, n)
		}
	})
	after := Snapshot{states: states}
	return out, after
}

// size counts a tree's nodes.
func size(st *fleet.RunStatus) int {
	n := 1
	for _, s := range st.Stages {
		n += 1 + len(s.BeforeGates) + len(s.AfterGates)
		if s.AfterStageWaitStatus != nil {
			n++
		}
		for _, g := range s.Groups {
			n += 1 + len(g.Members) + len(g.BeforeGates) + len(g.AfterGates)
		}
	}
	return n
}

// ends reports whether a state closes a node's activity, so that its
// change comes after its children's.
func ends(s fleet.State) bool {
	switch s {
	case fleet.Completed, fleet.Failed, fleet.Stopped, fleet.Skipped:
		return true
	}
	return false
}

// SnapshotFrom makes a snapshot of a run's shape with the states state
// gives for each node (by kind and path; NotStarted where it gives none),
// such as the last states an event log recorded.
func SnapshotFrom(run *fleet.UpdateRun, state func(k Kind, path string) (fleet.State, bool)) Snapshot {
	st := run.Properties.Status
	if st == nil {
		return Snapshot{}
	}
	var s Snapshot
	walk(run.Name, st, func(_ int, n node) {
		v, ok := state(n.kind, n.path())
		if !ok {
			v = fleet.NotStarted
		}
		s.states = append(s.states, v)
	}, func(int, node) {})
	return s
}
