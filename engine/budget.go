package engine

import (
	"fmt"

	"github.com/caravan-dev/caravan/fleet"
)

// withinBudget reports whether the failure of member k (already Failed)
// is one its group's and stage's maxAllowedFailures allow, saying which
// budget it uses; "" when the run must fail. A level without a budget
// does not limit one that has one; with neither, no failure is allowed.
func (rs *runState) withinBudget(k mkey) string {
	gb, sb := rs.groupBudget[k.s][k.g], rs.stageBudget[k.s]
	if !gb.IsSet() && !sb.IsSet() {
		return ""
	}
	g := rs.group(k.s, k.g)
	gFailed := failedIn(g.Members)
	sFailed, sTotal := 0, 0
	for _, x := range rs.stage(k.s).Groups {
		sFailed += failedIn(x.Members)
		sTotal += len(x.Members)
	}
	var why string
	if gb.IsSet() {
		allowed := gb.Allowed(len(g.Members))
		if gFailed > allowed {
			return ""
		}
		why = fmt.Sprintf("failure %d of the %d group %s allows", gFailed, allowed, g.Name)
	}
	if sb.IsSet() {
		allowed := sb.Allowed(sTotal)
		if sFailed > allowed {
			return ""
		}
		if why == "" {
			why = fmt.Sprintf("failure %d of the %d stage %s allows", sFailed, allowed, rs.stage(k.s).Name)
		}
	}
	return why
}

func failedIn(ms []fleet.MemberStatus) int {
	n := 0
	for _, m := range ms {
		if m.Status.State == fleet.Failed {
			n++
		}
	}
	return n
}

// settled reports whether a member needs no more work in this run:
// Completed, Skipped, or Failed within a failure budget.
func settled(m *fleet.MemberStatus) bool {
	return m.Status.State.Finished() || (m.Status.State == fleet.Failed && m.WithinFailureBudget)
}

// deriveState is a member's state as its parents count it: a failure
// within a budget counts as Completed.
func deriveState(m *fleet.MemberStatus) fleet.State {
	if m.Status.State == fleet.Failed && m.WithinFailureBudget {
		return fleet.Completed
	}
	return m.Status.State
}
