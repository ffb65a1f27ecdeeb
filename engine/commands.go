package engine

import (
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// start starts a NotStarted run or resumes a Stopped or Failed one:
// Completed and Skipped members are left alone, Failed and Pending members
// are tried again, and a stopped wait resumes with the time it had left.
func (rs *runState) start() error {
	run := &rs.status().Status
	switch p := rs.phase(); p {
	case fleet.NotStarted:
		rs.setStart(run, rs.now)
	case fleet.Stopped, fleet.Failed:
	case fleet.Running:
		return fleet.Conflict("update run %s is already running", rs.name())
	case fleet.Stopping:
		return fleet.Conflict("update run %s is stopping: its upgrades in flight are finishing; start it again once it is Stopped", rs.name())
	case fleet.Completed:
		return fleet.Conflict("update run %s has completed; create a new update run to upgrade again", rs.name())
	default:
		return fleet.Conflict("update run %s is %s and cannot be started", rs.name(), p)
	}
	run.State = fleet.Running
	run.Error = nil
	run.CompletedTime = nil
	rs.each(func(k mkey, m *fleet.MemberStatus) {
		switch m.Status.State {
		case fleet.Failed:
			m.Status = fleet.UpdateStatus{State: fleet.NotStarted}
			m.WithinFailureBudget = false
			if m.Message != "" {
				m.Message = "will try again; previous attempt: " + m.Message
			}
		case fleet.Pending:
			delete(rs.recheckAt, k)
		}
	})
	rs.selectRetryAt = time.Time{}
	rs.touchAll()
	for si := range rs.status().Stages {
		st := rs.stage(si)
		if !st.Status.State.Finished() {
			st.Status.CompletedTime = nil
			st.Status.Error = nil
			for gi := range st.Groups {
				st.Groups[gi].Status.Error = nil
			}
		}
	}
	rs.dirty = true
	rs.deriveAll()
	return nil
}

// stop stops a running run: no new member starts, upgrades in flight run
// to their end, and a running wait keeps the time it has left. Stopping a
// run that is already stopping or stopped changes nothing.
func (rs *runState) stop() error {
	switch p := rs.phase(); p {
	case fleet.Running:
	case fleet.Stopping, fleet.Stopped:
		return nil
	case fleet.NotStarted:
		return fleet.Conflict("update run %s has not started; there is nothing to stop", rs.name())
	case fleet.Failed:
		return fleet.Conflict("update run %s has failed and is not running; there is nothing to stop", rs.name())
	case fleet.Completed:
		return fleet.Conflict("update run %s has completed; there is nothing to stop", rs.name())
	default:
		return fleet.Conflict("update run %s is %s; there is nothing to stop", rs.name(), p)
	}
	for si := range rs.status().Stages {
		w := rs.stage(si).AfterStageWaitStatus
		if w.Status.State == fleet.Running && w.Deadline != nil {
			left := max(w.Deadline.Sub(rs.now), 0)
			w.RemainingMilliseconds = left.Milliseconds()
			w.Deadline = nil
			w.Status.State = fleet.Stopped
		}
	}
	rs.setState(&rs.status().Status, fleet.Stopping)
	rs.dirty = true
	rs.finishStopping()
	return nil
}

// skip marks members, groups, stages and waits as Skipped. Every target is
// checked before anything changes: an unknown or finished target is a
// 400, a member whose upgrade is in flight a 409.
func (rs *runState) skip(targets []fleet.SkipTarget) error {
	switch p := rs.phase(); p {
	case fleet.NotStarted, fleet.Running, fleet.Stopped, fleet.Failed:
	case fleet.Stopping:
		return fleet.Conflict("update run %s is stopping; skip once it is Stopped", rs.name())
	default:
		return fleet.Conflict("update run %s is %s; there is nothing left to skip", rs.name(), p)
	}
	if len(targets) == 0 {
		return fleet.Invalid("targets", "give at least one target, such as {\"type\":\"Member\",\"name\":\"member-1\"}")
	}
	var members []mkey
	var waits []*fleet.WaitStatus
	var gates []checkpoint
	for i, t := range targets {
		f := fmt.Sprintf("targets[%d]", i)
		if t.Name == "" {
			return fleet.Invalid(f+".name", "a target name is required")
		}
		switch t.Type {
		case fleet.SkipMember:
			k, ok := rs.byName[t.Name]
			if !ok {
				return fleet.Invalid(f+".name", "update run %s has no member %q", rs.name(), t.Name)
			}
			if err := rs.skippable(f, []mkey{k}, nil, fmt.Sprintf("member %q", t.Name)); err != nil {
				return err
			}
			members = append(members, k)
		case fleet.SkipGroup:
			si, gi, ok := rs.findGroup(t.Name)
			if !ok {
				return fleet.Invalid(f+".name", "update run %s has no group %q", rs.name(), t.Name)
			}
			keys := rs.groupKeys(si, gi)
			gs := append(rs.checkpoints(si, gi, fleet.Before), rs.checkpoints(si, gi, fleet.After)...)
			if err := rs.skippable(f, keys, gs, fmt.Sprintf("group %q", t.Name)); err != nil {
				return err
			}
			members = append(members, keys...)
			gates = append(gates, gs...)
		case fleet.SkipStage:
			si, ok := rs.findStage(t.Name)
			if !ok {
				return fleet.Invalid(f+".name", "update run %s has no stage %q", rs.name(), t.Name)
			}
			var keys []mkey
			for gi := range rs.stage(si).Groups {
				keys = append(keys, rs.groupKeys(si, gi)...)
			}
			w := rs.stage(si).AfterStageWaitStatus
			gs := rs.gatesOf(si)
			gates = append(gates, gs...)
			if w.Status.State.Finished() {
				if err := rs.skippable(f, keys, gs, fmt.Sprintf("stage %q", t.Name)); err != nil {
					return err
				}
			} else if err := rs.notInFlight(keys, fmt.Sprintf("stage %q", t.Name)); err != nil {
				return err
			}
			members = append(members, keys...)
			waits = append(waits, w)
		case fleet.SkipAfterStageWait:
			si, ok := rs.findStage(t.Name)
			if !ok {
				return fleet.Invalid(f+".name", "update run %s has no stage %q", rs.name(), t.Name)
			}
			w := rs.stage(si).AfterStageWaitStatus
			if w.Status.State.Finished() {
				return fleet.Invalid(f, "the wait after stage %q is already %s", t.Name, w.Status.State)
			}
			waits = append(waits, w)
		default:
			return fleet.Invalid(f+".type", "%q is not a skip target type: use Member, Group, Stage or AfterStageWait", t.Type)
		}
	}
	rs.touchAll()
	for _, k := range members {
		m := rs.member(k)
		if !m.Status.State.Finished() {
			rs.finishMember(m, fleet.Skipped, "skipped by request")
			delete(rs.recheckAt, k)
		}
	}
	rs.skipCheckpoints(gates)
	for _, w := range waits {
		w.Status.State = fleet.Skipped
		now := rs.now
		w.Status.CompletedTime = &now
		w.Deadline = nil
		w.RemainingMilliseconds = 0
		rs.dirty = true
	}
	rs.deriveAll()
	return nil
}

// skippable checks that some of the members can still be skipped and none
// is being upgraded.
func (rs *runState) skippable(field string, keys []mkey, gates []checkpoint, what string) error {
	if err := rs.notInFlight(keys, what); err != nil {
		return err
	}
	for _, cp := range gates {
		if !cp.state().Finished() {
			return nil
		}
	}
	for _, k := range keys {
		if !rs.member(k).Status.State.Finished() {
			return nil
		}
	}
	state := fleet.Completed
	if len(keys) > 0 {
		state = rs.member(keys[0]).Status.State
		for _, k := range keys {
			if rs.member(k).Status.State != state {
				state = fleet.Completed
			}
		}
	}
	return fleet.Invalid(field, "%s is already %s; there is nothing to skip", what, state)
}

func (rs *runState) notInFlight(keys []mkey, what string) error {
	for _, k := range keys {
		m := rs.member(k)
		if m.Status.State == fleet.Running {
			return fleet.Conflict("%s cannot be skipped now: member %s is being upgraded (operation %s); skip it after its upgrade ends", what, m.Name, m.OperationID)
		}
	}
	return nil
}

func (rs *runState) findStage(name string) (int, bool) {
	for si, st := range rs.status().Stages {
		if st.Name == name {
			return si, true
		}
	}
	return 0, false
}

func (rs *runState) findGroup(name string) (int, int, bool) {
	for si, st := range rs.status().Stages {
		for gi, g := range st.Groups {
			if g.Name == name {
				return si, gi, true
			}
		}
	}
	return 0, 0, false
}

func (rs *runState) groupKeys(si, gi int) []mkey {
	g := rs.group(si, gi)
	keys := make([]mkey, len(g.Members))
	for mi := range g.Members {
		keys[mi] = mkey{si, gi, mi}
	}
	return keys
}
