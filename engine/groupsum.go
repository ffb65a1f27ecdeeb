package engine

import (
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// A step looks at every group of the current stage: its state, whether
// its members are finished, how many are in flight. Counting the members
// of every group on every step makes each event cost as much as the
// stage is large, so the counts of a group are kept (groupSum) until the
// group changes. When a member changes (touchMember, which every
// change of a member calls, as the parts written to the store depend on
// it) or begins or ends being inspected (setInspecting), only that member
// is counted again; commands that change many members reset the counts
// (touchAll). With checkEncoding (the engine's tests), every use compares
// the kept counts with a fresh count.

// groupSum is what the engine needs of a group's members.
type groupSum struct {
	ok bool
	// t tallies the members' derived states (see deriveState), a member
	// being inspected while NotStarted or Pending counted as Running.
	t tally
	// failures counts the Failed members; running the Running ones.
	failures, running int
	// unsettled counts the members not settled (see settled).
	unsettled int
	// inFlight counts the members Running or being inspected.
	inFlight int
	// last is the latest completedTime of a member, if hasLast.
	last    time.Time
	hasLast bool

	// counted is how each member is counted; stale holds the members
	// changed since (by index, maybe twice).
	counted []memberCount
	stale   []int
	// gen counts the changes of the group's members; aheadAt is gen when
	// the group's reads ahead were last decided (see readAheadStage).
	gen, aheadAt uint64
	// from is where the scheduler looks for the group's next member:
	// every member before it is settled (see candidates).
	from int
}

// memberCount is how one member is counted in its group's sum.
type memberCount struct {
	state                                        fleet.State
	failed, running, inFlight, unsettled, hasEnd bool
	end                                          time.Time
}

// lastPtr is last as setDerived takes it.
func (s *groupSum) lastPtr() *time.Time {
	if !s.hasLast {
		return nil
	}
	t := s.last
	return &t
}

// memberChanged records that member k changed: its group's sum counts it
// again when next asked.
func (rs *runState) memberChanged(k mkey) {
	if k.s < len(rs.sums) && k.g < len(rs.sums[k.s]) {
		if s := &rs.sums[k.s][k.g]; s.ok {
			s.stale = append(s.stale, k.m)
			s.gen++
		}
	}
}

// setInspecting records that member k is, or is no longer, being
// inspected.
func (rs *runState) setInspecting(k mkey, on bool) {
	if rs.inspecting[k] == on {
		return
	}
	if on {
		rs.inspecting[k] = true
	} else {
		delete(rs.inspecting, k)
	}
	rs.memberChanged(k)
}

// sum returns the counts of group gi of stage si, counting again the
// members that changed since they were last counted.
func (rs *runState) sum(si, gi int) *groupSum {
	if len(rs.sums) != len(rs.status().Stages) {
		rs.sums = make([][]groupSum, len(rs.status().Stages))
	}
	if len(rs.sums[si]) != len(rs.stage(si).Groups) {
		rs.sums[si] = make([]groupSum, len(rs.stage(si).Groups))
	}
	s := &rs.sums[si][gi]
	if !s.ok || len(s.counted) != len(rs.group(si, gi).Members) {
		rs.countGroup(si, gi, s)
		return s
	}
	if len(s.stale) > 0 {
		g := rs.group(si, gi)
		recount := false
		for _, mi := range s.stale {
			old := s.counted[mi]
			s.apply(old, -1)
			c := rs.countMember(mkey{si, gi, mi}, &g.Members[mi])
			s.counted[mi] = c
			s.apply(c, 1)
			if c.unsettled && mi < s.from {
				s.from = mi
			}
			if old.hasEnd && s.hasLast && old.end.Equal(s.last) && !(c.hasEnd && !c.end.Before(old.end)) {
				recount = true // the latest end moved back: find it again
			}
		}
		s.stale = s.stale[:0]
		if recount {
			rs.countGroup(si, gi, s)
		}
	}
	if checkEncoding {
		var fresh groupSum
		rs.countGroup(si, gi, &fresh)
		if !sameSum(fresh, *s) {
			panic(fmt.Sprintf("engine: update run %s: the kept counts of group %s are %+v, its members count %+v: a change of a member did not call touchMember", rs.run.ID, rs.group(si, gi).Name, *s, fresh))
		}
	}
	return s
}

// apply adds (sign 1) or removes (sign -1) a member's count.
func (s *groupSum) apply(c memberCount, sign int) {
	s.t.addN(c.state, sign)
	b := func(v bool) int {
		if v {
			return sign
		}
		return 0
	}
	s.failures += b(c.failed)
	s.running += b(c.running)
	s.inFlight += b(c.inFlight)
	s.unsettled += b(c.unsettled)
	if sign > 0 && c.hasEnd && (!s.hasLast || c.end.After(s.last)) {
		s.last, s.hasLast = c.end, true
	}
}

func sameSum(a, b groupSum) bool {
	return a.t == b.t && a.failures == b.failures && a.running == b.running && a.unsettled == b.unsettled &&
		a.inFlight == b.inFlight && a.hasLast == b.hasLast && a.last.Equal(b.last)
}

// countGroup counts a group's members afresh.
func (rs *runState) countGroup(si, gi int, s *groupSum) {
	g := rs.group(si, gi)
	counted := s.counted
	if len(counted) != len(g.Members) {
		counted = make([]memberCount, len(g.Members))
	}
	*s = groupSum{ok: true, counted: counted, stale: s.stale[:0], gen: s.gen + 1}
	for mi := range g.Members {
		c := rs.countMember(mkey{si, gi, mi}, &g.Members[mi])
		s.counted[mi] = c
		s.apply(c, 1)
	}
}

// countMember is how member k counts in its group.
func (rs *runState) countMember(k mkey, m *fleet.MemberStatus) memberCount {
	insp := len(rs.inspecting) > 0 && rs.inspecting[k]
	c := memberCount{
		state:     deriveState(m),
		failed:    m.Status.State == fleet.Failed,
		running:   m.Status.State == fleet.Running,
		inFlight:  m.Status.State == fleet.Running || insp,
		unsettled: !settled(m),
	}
	if insp && (c.state == fleet.NotStarted || c.state == fleet.Pending) {
		c.state = fleet.Running
	}
	if ct := m.Status.CompletedTime; ct != nil {
		c.end, c.hasEnd = *ct, true
	}
	return c
}
