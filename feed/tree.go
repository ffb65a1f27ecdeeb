package feed

import (
	"github.com/caravan-dev/caravan/fleet"
)

// Snapshot is the states of a run's nodes at one version of the run, to
// compare the next version with. The zero Snapshot knows no node.
type Snapshot struct {
	states []fleet.State
}

// node is one node of a status tree, met in a walk.
type node struct {
	kind    Kind
	name    string
	path    string
	status  *fleet.UpdateStatus
	message string
}

// walk visits a run's nodes: pre before a node's children, post after.
// Their indexes are the same in every walk of a tree of one shape.
func walk(runName string, st *fleet.RunStatus, pre, post func(i int, n node)) {
	i := 0
	visit := func(n node, children func()) {
		me := i
		i++
		pre(me, n)
		if children != nil {
			children()
		}
		post(me, n)
	}
	visit(node{kind: KindRun, name: runName, status: &st.Status, message: errMessage(st.Status)}, func() {
		for si := range st.Stages {
			s := &st.Stages[si]
			visit(node{kind: KindStage, name: s.Name, path: s.Name, status: &s.Status, message: errMessage(s.Status)}, func() {
				for gi := range s.Groups {
					g := &s.Groups[gi]
					gp := s.Name + "/" + g.Name
					visit(node{kind: KindGroup, name: g.Name, path: gp, status: &g.Status, message: errMessage(g.Status)}, func() {
						for mi := range g.Members {
							m := &g.Members[mi]
							msg := errMessage(m.Status)
							if msg == "" {
								msg = m.Message
							}
							visit(node{kind: KindMember, name: m.Name, path: gp + "/" + m.Name, status: &m.Status, message: msg}, nil)
						}
					})
				}
				if w := s.AfterStageWaitStatus; w != nil {
					visit(node{kind: KindWait, name: "afterStageWait", path: s.Name + "/afterStageWait", status: &w.Status, message: errMessage(w.Status)}, nil)
				}
			})
		}
	})
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
// nodes were all NotStarted.
func Diff(before Snapshot, run *fleet.UpdateRun, base Change) ([]Change, Snapshot) {
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
	var after Snapshot
	walk(run.Name, st, func(_ int, n node) { after.states = append(after.states, n.status.State) }, func(int, node) {})
	same := len(before.states) == len(after.states)
	old := func(i int) fleet.State {
		if same {
			return before.states[i]
		}
		return fleet.NotStarted
	}
	var out []Change
	emit := func(i int, n node) {
		c := base
		c.Kind, c.Name, c.Path = n.kind, n.name, n.path
		c.Old, c.New, c.Message = old(i), n.status.State, n.message
		out = append(out, c)
	}
	walk(run.Name, st, func(i int, n node) {
		if s := n.status.State; s != old(i) && !ends(s) {
			emit(i, n)
		}
	}, func(i int, n node) {
		if s := n.status.State; s != old(i) && ends(s) {
			emit(i, n)
		}
	})
	return out, after
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
