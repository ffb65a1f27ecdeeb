package engine

import (
	"math"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// Reading ahead. A member's turn begins with a read of its cluster (and
// of its membership), whose result decides whether it is skipped, held or
// begun. Made only when a slot frees, that read sits on the run's critical
// path between one member's end and the next one's start. So the engine
// reads the members whose turn comes next while the slots are busy: in
// each group of the current stage, the next members up to the group's
// concurrency (bounded by the stage's); and once every member of the
// current stage has begun, the first wave of the next stage, which is
// read shortly before an after-stage wait ends (aheadLead), or at once
// while the run waits at a gate. A slot that frees then takes its next
// member on the read already made: one write and one PUT.
//
// Only members not started yet are read ahead: a Pending one waits for
// its cluster, its window or another run to change. A read made ahead is
// kept only if it succeeded and found the cluster not busy, and is used
// only if it is at most aheadMaxAge old when the member's turn comes and
// the member's cluster was not held by another run meanwhile; otherwise
// the member is read at its turn, as without reading ahead. Reads ahead
// are not made while members whose turn came are being checked: they
// would compete with those members' writes and PUTs, which are on the
// critical path; the runner also sends them only once the upgrades begun
// in the same step are sent. A read still in flight when the turn comes
// is the one the member's inspection uses. Whether the member is still in
// the fleet is checked at its turn in any case (a read of the store, not
// of the cloud; see inspect.go), and not by the read ahead. Nothing is
// held while reading ahead: the cluster is taken from other runs only at
// the turn.
// Reads ahead are decided here, in the pure core, from the run's state
// and the time; the runner only performs them.

// aheadRead is a read of a member's cluster made before its turn.
type aheadRead struct {
	ev inspected
	at time.Time
}

// readAheadMax bounds the reads ahead a run has in flight at once.
const readAheadMax = 256

// aheadMaxAge is how old a read made ahead may be and still decide a
// member's turn: the recheck interval, the age at which the engine checks
// a held member's cluster again anyway.
func (rs *runState) aheadMaxAge() time.Duration { return rs.recheck }

// aheadLead is how long before an after-stage wait ends the next stage's
// first members are read: half the age a read may reach, so that reads
// slower than that still arrive in time and are fresh when used.
func (rs *runState) aheadLead() time.Duration { return rs.aheadMaxAge() / 2 }

// readAheadEffects returns the reads to make ahead, and when to look
// again for the next stage's (zero: at the next event).
func (rs *runState) readAheadEffects() (effs []effect, wake time.Time) {
	if rs.phase() != fleet.Running || rs.needsSelection() {
		return nil, time.Time{}
	}
	si := rs.currentStage()
	if si < 0 || rs.turnsPending() {
		return nil, time.Time{}
	}
	again := rs.aheadDeferred
	rs.aheadDeferred = false
	effs = rs.readAheadStage(si, again, effs)
	if !rs.allBegun(si) {
		return effs, time.Time{}
	}
	next := si + 1
	for next < len(rs.status().Stages) && rs.stage(next).Status.State.Finished() {
		next++
	}
	if next == len(rs.status().Stages) {
		return effs, time.Time{}
	}
	switch w := rs.stage(si).AfterStageWaitStatus; {
	case w.Status.State == fleet.Running && w.Deadline != nil:
		if at := w.Deadline.Add(-rs.aheadLead()); rs.now.Before(at) {
			return effs, at
		}
	case !w.Status.State.Finished() && time.Duration(w.WaitDurationInSeconds)*time.Second > rs.aheadLead():
		// A long wait is still to come: read when it nears its end.
		return effs, time.Time{}
	}
	return rs.readAheadStage(next, again, effs), time.Time{}
}

// turnsPending reports whether members whose turn came are being checked:
// reads ahead wait for them to begin, so as not to compete with their
// checks, writes and PUTs. Each check that ends leads to a step, which
// looks again.
func (rs *runState) turnsPending() bool {
	for k := range rs.inspecting {
		if !rs.verifying[k] {
			return true
		}
	}
	return false
}

// allBegun reports whether every unsettled member of stage si is in
// flight: the stage has no member left to begin.
func (rs *runState) allBegun(si int) bool {
	for gi := range rs.stage(si).Groups {
		if s := rs.sum(si, gi); s.unsettled != s.inFlight {
			return false
		}
	}
	return true
}

// readAheadStage adds the reads ahead of stage si's groups to effs. A
// group is looked at again only when one of its members changed since
// (or, with again, when the last look was cut short by readAheadMax).
func (rs *runState) readAheadStage(si int, again bool, effs []effect) []effect {
	st := rs.stage(si)
	total := 0
	for _, g := range st.Groups {
		total += len(g.Members)
	}
	stageCap := rs.stageCap[si].Limit(total, math.MaxInt)
	for gi := range st.Groups {
		sum := rs.sum(si, gi)
		if sum.unsettled == sum.inFlight || (sum.aheadAt == sum.gen && !again) {
			continue
		}
		window := min(rs.groupCap[si][gi].Limit(len(st.Groups[gi].Members), 1), stageCap)
		cands, _, _ := rs.candidates(si, gi, window)
		if len(cands) > window {
			cands = cands[:window]
		}
		cut := false
		for _, k := range cands {
			if rs.reading[k] || rs.freshRead(k) || rs.member(k).Status.State != fleet.NotStarted {
				// A Pending member waits for something to change (its
				// cluster, its window, another run): it is read at its
				// turn.
				continue
			}
			if len(rs.reading) >= readAheadMax {
				cut = true
				break
			}
			rs.reading[k] = true
			effs = append(effs, effect{kind: effectReadAhead, k: k})
		}
		if cut {
			rs.aheadDeferred = true
			continue
		}
		sum.aheadAt = sum.gen
	}
	return effs
}

// freshRead reports whether member k has a read made ahead that is not
// too old to use.
func (rs *runState) freshRead(k mkey) bool {
	a, ok := rs.ahead[k]
	return ok && rs.now.Sub(a.at) <= rs.aheadMaxAge()
}

// takeRead returns the read made ahead of member k if it succeeded and
// is fresh enough to decide its turn, and forgets it.
func (rs *runState) takeRead(k mkey) (inspected, bool) {
	a, ok := rs.ahead[k]
	if !ok {
		return inspected{}, false
	}
	delete(rs.ahead, k)
	if rs.now.Sub(a.at) > rs.aheadMaxAge() {
		return inspected{}, false
	}
	return a.ev, true
}

// onReadAhead applies a read made ahead: kept for the member's turn, or,
// if the turn came while it was read, the member's inspection, which
// checks its membership with the read in hand.
func (rs *runState) onReadAhead(ev inspected) []effect {
	if !rs.reading[ev.k] {
		return nil
	}
	delete(rs.reading, ev.k)
	if rs.inspecting[ev.k] {
		return []effect{{kind: effectInspect, k: ev.k, read: ev.cluster, readErr: ev.err}}
	}
	if ev.err == nil && ev.cluster != nil && !ev.cluster.Busy && rs.member(ev.k).Status.State == fleet.NotStarted {
		// A busy cluster is about to change, and a member that became
		// Pending meanwhile (its cluster held by another run) waits for
		// a change: they are read at their turn.
		rs.ahead[ev.k] = aheadRead{ev: ev, at: rs.now}
	}
	return nil
}
