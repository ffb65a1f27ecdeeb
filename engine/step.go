package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

type effectKind int

const (
	// effectInspect reads a member's cluster before its turn.
	effectInspect effectKind = iota
	// effectReadAhead reads a member's cluster ahead of its turn (see
	// readAheadEffects).
	effectReadAhead
	// effectBegin begins (or re-attaches to) a member's upgrade.
	effectBegin
	// effectSelect reads every cluster of the run to choose Consistent
	// node images.
	effectSelect
	// effectGate brings a gate's resource in line with the run: creates
	// it, or writes its end.
	effectGate
)

// effect is a side effect the runner performs after persisting the run.
type effect struct {
	kind effectKind
	k    mkey
	op   cluster.Operation
	gate *fleet.Gate
	// read, for an inspection, is the member's cluster read ahead (see
	// readAheadEffects), which need not be read again; readErr, the error
	// of such a read that failed while the turn came.
	read    *cluster.Cluster
	readErr error
	// claimed, for a beginning: the member's inspection claimed its
	// cluster in the store, at lease epoch claimEpoch.
	claimed    bool
	claimEpoch int64
}

// step advances the run as far as it can at rs.now: it finishes a stopping
// run once nothing is in flight, chooses Consistent images, moves through
// finished stages and their waits, and starts members in the current stage
// up to the concurrency limits. It returns the side effects to perform and
// the time to look again (zero when only an event can move the run).
func (rs *runState) step(locks locker) (effs []effect, wake time.Time) {
	verify, verifyWake := rs.verifyEffects()
	effs, wake = rs.advanceRun(locks)
	if !verifyWake.IsZero() && (wake.IsZero() || verifyWake.Before(wake)) {
		wake = verifyWake
	}
	rs.deriveSpread()
	wake = earliest(wake, rs.gateWake())
	ahead, aheadWake := rs.readAheadEffects()
	wake = earliest(wake, aheadWake)
	return append(append(append(verify, effs...), rs.gateEffects()...), ahead...), wake
}

// earliest is the earlier of two times to look again; zero means never.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// verifyEffects reads the cluster of each member whose upgrade reported
// success and is not being read, when it is due.
func (rs *runState) verifyEffects() (effs []effect, wake time.Time) {
	for k := range rs.verifying {
		if rs.inspecting[k] {
			continue
		}
		if at, ok := rs.verifyAt[k]; ok && rs.now.Before(at) {
			if wake.IsZero() || at.Before(wake) {
				wake = at
			}
			continue
		}
		delete(rs.verifyAt, k)
		rs.setInspecting(k, true)
		effs = append(effs, effect{kind: effectInspect, k: k})
	}
	slices.SortFunc(effs, func(a, b effect) int { return cmpKey(a.k, b.k) })
	return effs, wake
}

func cmpKey(a, b mkey) int {
	if a.s != b.s {
		return a.s - b.s
	}
	if a.g != b.g {
		return a.g - b.g
	}
	return a.m - b.m
}

// advanceRun is step without the verifications.
func (rs *runState) advanceRun(locks locker) (effs []effect, wake time.Time) {
	switch rs.phase() {
	case fleet.Stopping:
		rs.finishStopping()
		return nil, time.Time{}
	case fleet.Running:
	default:
		return nil, time.Time{}
	}
	if rs.needsSelection() {
		if !rs.selecting && !rs.now.Before(rs.selectRetryAt) {
			rs.selecting = true
			return []effect{{kind: effectSelect}}, time.Time{}
		}
		if !rs.selecting {
			return nil, rs.selectRetryAt
		}
		return nil, time.Time{}
	}
	for si := range rs.status().Stages {
		st := rs.stage(si)
		if st.Status.State.Finished() {
			continue
		}
		hold := func(effs []effect, wake time.Time) ([]effect, time.Time) {
			rs.deriveStage(si)
			rs.deriveRun()
			return effs, wake
		}
		if done, wake := rs.pass(rs.checkpoints(si, -1, fleet.Before)); !done {
			return hold(nil, wake)
		}
		if open, wake := rs.passGroups(si); !rs.groupsFinished(si) {
			effs, w := rs.schedule(si, locks, open)
			return hold(effs, earliest(wake, w))
		}
		if done, wake := rs.pass(rs.checkpoints(si, -1, fleet.After)); !done {
			return hold(nil, wake)
		}
		rs.deriveStage(si)
	}
	run := &rs.status().Status
	rs.setState(run, fleet.Completed)
	rs.setCompleted(run, &rs.now)
	return nil, time.Time{}
}

// finishStopping ends a stopping run once no member's upgrade is in
// flight: Failed if a member failed, otherwise Stopped.
func (rs *runState) finishStopping() {
	inFlight := false
	for si := range rs.status().Stages {
		for gi := range rs.stage(si).Groups {
			if rs.sum(si, gi).running > 0 {
				inFlight = true
			}
		}
	}
	if inFlight {
		rs.deriveAll()
		return
	}
	run := &rs.status().Status
	if run.Error != nil {
		rs.setState(run, fleet.Failed)
		rs.setCompleted(run, &rs.now)
	} else {
		rs.setState(run, fleet.Stopped)
	}
	rs.deriveAll()
}

// passGroups moves the gates of stage si's groups: a group's before-gates
// once the stage's are passed, its after-gates once its members are
// finished. It returns the groups whose members may run (before-gates
// passed, members not all finished) and when to look again.
func (rs *runState) passGroups(si int) (open []bool, wake time.Time) {
	st := rs.stage(si)
	anyOpen := false
	open = make([]bool, len(st.Groups))
	for gi := range st.Groups {
		done, w := rs.pass(rs.checkpoints(si, gi, fleet.Before))
		wake = earliest(wake, w)
		if !done {
			continue
		}
		if !rs.groupMembersFinished(si, gi) {
			open[gi] = true
			anyOpen = true
			continue
		}
		_, w = rs.pass(rs.checkpoints(si, gi, fleet.After))
		wake = earliest(wake, w)
	}
	if !anyOpen {
		open = nil
	}
	return open, wake
}

// groupMembersFinished reports whether every member of a group is
// Completed or Skipped.
func (rs *runState) groupMembersFinished(si, gi int) bool {
	return rs.sum(si, gi).unsettled == 0
}

// groupsFinished reports whether every group of a stage is finished: its
// members Completed or Skipped, and its gates passed.
func (rs *runState) groupsFinished(si int) bool {
	for gi := range rs.stage(si).Groups {
		if !rs.groupMembersFinished(si, gi) {
			return false
		}
		for _, timing := range []fleet.Timing{fleet.Before, fleet.After} {
			for _, cp := range rs.checkpoints(si, gi, timing) {
				if !cp.state().Finished() {
					return false
				}
			}
		}
	}
	return true
}

// schedule starts members of stage si: in each open group, in Fleet's
// order by maintenance window (see candidates), as many as the group's
// maxConcurrency allows (default 1), taking turns between groups until
// the stage's maxConcurrency is reached. A member whose cluster another
// run holds is Pending until that run lets go; the group moves on to its
// next member. Only the groups with a free slot are looked through: a
// full group's next member is taken when one of those in flight ends,
// which is an event.
func (rs *runState) schedule(si int, locks locker, open []bool) (effs []effect, wake time.Time) {
	st := rs.stage(si)
	total := 0
	for _, g := range st.Groups {
		total += len(g.Members)
	}
	stageCap := rs.stageCap[si].Limit(total, math.MaxInt)
	inFlight := 0
	groupInFlight := make([]int, len(st.Groups))
	groupCap := make([]int, len(st.Groups))
	for gi := range st.Groups {
		groupCap[gi] = rs.groupCap[si][gi].Limit(len(st.Groups[gi].Members), 1)
		// Held at a gate, or finished: only members in flight (none,
		// before the gates) count.
		groupInFlight[gi] = rs.sum(si, gi).inFlight
		inFlight += groupInFlight[gi]
	}
	candidates := make([][]mkey, len(st.Groups))
	looked := make([]bool, len(st.Groups))
	partial := make([]bool, len(st.Groups))
	var tried map[mkey]bool
	next := make([]int, len(st.Groups))
	for progress := true; progress && inFlight < stageCap; {
		progress = false
		for gi := range st.Groups {
			if inFlight >= stageCap {
				break
			}
			if open == nil || !open[gi] || groupInFlight[gi] >= groupCap[gi] {
				continue
			}
			if !looked[gi] {
				looked[gi] = true
				var w time.Time
				candidates[gi], w, partial[gi] = rs.candidates(si, gi, groupCap[gi]-groupInFlight[gi])
				wake = earliest(wake, w)
			}
			for {
				if next[gi] == len(candidates[gi]) {
					if !partial[gi] {
						break
					}
					// Members were held or skipped: look further, past
					// those already tried.
					all, w, _ := rs.candidates(si, gi, 0)
					wake = earliest(wake, w)
					candidates[gi], next[gi], partial[gi] = nil, 0, false
					for _, k := range all {
						if !tried[k] {
							candidates[gi] = append(candidates[gi], k)
						}
					}
					continue
				}
				k := candidates[gi][next[gi]]
				next[gi]++
				if tried == nil {
					tried = map[mkey]bool{}
				}
				tried[k] = true
				m := rs.member(k)
				if holder, ok := locks.acquire(m.ClusterResourceID, rs.id); !ok {
					delete(rs.ahead, k) // the other run changes the cluster
					rs.touchMember(k)
					rs.setState(&m.Status, fleet.Pending)
					rs.setStart(&m.Status, rs.now)
					rs.setMessage(m, fmt.Sprintf("waiting for update run %s, which is upgrading this cluster", runName(holder)))
					delete(rs.recheckAt, k)
					continue
				}
				rs.setInspecting(k, true)
				groupInFlight[gi]++
				inFlight++
				progress = true
				if rs.reading[k] {
					break // the read ahead in flight is its inspection
				}
				// A cluster read ahead is not read again: only the
				// membership, from the store, is checked at the turn.
				ev, _ := rs.takeRead(k)
				effs = append(effs, effect{kind: effectInspect, k: k, read: ev.cluster})
				break
			}
		}
	}
	return effs, wake
}

// candidates returns the members of a group that may begin now, in the
// order Fleet takes them (see orderByWindow), and the earliest time a
// Pending member held until later is due. With a limit, when the group's
// members are in name order and none has a window known, it returns only
// the first limit candidates (which come in that order) and reports that
// the list is partial, so that a step costs what it starts, not what the
// group holds; a partial list is the beginning of the whole one.
func (rs *runState) candidates(si, gi, limit int) (out []mkey, wake time.Time, partial bool) {
	g := rs.group(si, gi)
	sum := rs.sum(si, gi)
	if limit > 0 && (!rs.nameOrdered(si, gi) || rs.windowed[[2]int{si, gi}] > 0) {
		limit = 0
	}
	// The members before sum.from are settled: none is a candidate.
	for sum.from < len(g.Members) && settled(&g.Members[sum.from]) {
		sum.from++
	}
	if checkEncoding {
		for mi := range sum.from {
			if !settled(&g.Members[mi]) {
				panic(fmt.Sprintf("engine: update run %s: member %s of group %s is not settled but the scheduler passed it", rs.run.ID, g.Members[mi].Name, g.Name))
			}
		}
	}
	for mi := sum.from; mi < len(g.Members); mi++ {
		if limit > 0 && len(out) == limit {
			return out, wake, true
		}
		k := mkey{si, gi, mi}
		m := &g.Members[mi]
		switch {
		case m.Status.State == fleet.Running || rs.inspecting[k]:
		case m.Status.State == fleet.NotStarted:
			out = append(out, k)
		case m.Status.State == fleet.Pending:
			at, ok := rs.recheckAt[k]
			if !ok || !rs.now.Before(at) {
				out = append(out, k)
			} else if wake.IsZero() || at.Before(wake) {
				wake = at
			}
		}
	}
	rs.orderByWindow(out)
	return out, wake, false
}

// runName is the last segment of a run id.
func runName(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}
