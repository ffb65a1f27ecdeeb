package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// A checkpoint is something a run must pass that is not a member: a gate
// (approval or scheduled start) or a stage's after-stage wait. A stage is
// its before-gates, its groups, then its after-gates and its wait (which
// run at the same time); a group is its before-gates, its members, then
// its after-gates. Every checkpoint has one life: NotStarted until the run
// reaches it, then open (a gate Pending, a wait Running) until it is
// Completed or Skipped. pass is the one place that moves them.
type checkpoint struct {
	// gate is set for a gate, wait for a wait.
	gate *fleet.GateStatus
	wait *fleet.WaitStatus
	cfg  fleet.GateConfiguration
	at   gatePlace
}

// gatePlace locates a gate in a run: stage si, group gi (-1 for the
// stage's own gates), before or after, and its index there.
type gatePlace struct {
	si, gi int
	timing fleet.Timing
	index  int
}

// checkpoints returns the checkpoints of a stage (gi -1) or a group at
// one timing; a stage's After checkpoints end with its wait.
func (rs *runState) checkpoints(si, gi int, timing fleet.Timing) []checkpoint {
	var gates []fleet.GateStatus
	var cfgs []fleet.GateConfiguration
	st := rs.stage(si)
	if gi < 0 {
		spec := rs.stageSpecAt(si)
		gates = st.BeforeGates
		if spec != nil {
			cfgs = spec.BeforeGates
		}
		if timing == fleet.After {
			gates = st.AfterGates
			cfgs = nil
			if spec != nil {
				cfgs = spec.AfterGates
			}
		}
	} else {
		g := rs.group(si, gi)
		gates = g.BeforeGates
		if timing == fleet.After {
			gates = g.AfterGates
		}
		if len(gates) == 0 {
			return nil // most groups have no gates
		}
		gspec := rs.groupSpecAt(si, gi)
		if gspec != nil {
			cfgs = gspec.BeforeGates
			if timing == fleet.After {
				cfgs = gspec.AfterGates
			}
		}
	}
	out := make([]checkpoint, 0, len(gates)+1)
	for i := range gates {
		cp := checkpoint{gate: &gates[i], at: gatePlace{si: si, gi: gi, timing: timing, index: i}, cfg: fleet.GateConfiguration{Type: fleet.GateApproval}}
		if i < len(cfgs) {
			cp.cfg = cfgs[i]
		}
		out = append(out, cp)
	}
	if gi < 0 && timing == fleet.After {
		out = append(out, checkpoint{wait: st.AfterStageWaitStatus})
	}
	return out
}

// stageSpecAt is the strategy's stage of stage si, nil if none.
func (rs *runState) stageSpecAt(si int) *fleet.Stage {
	rs.indexSpecs()
	return rs.specs[si].stage
}

// groupSpecAt is the strategy's group of group gi of stage si, nil if
// none.
func (rs *runState) groupSpecAt(si, gi int) *fleet.Group {
	rs.indexSpecs()
	if gi >= len(rs.specs[si].groups) {
		return nil
	}
	return rs.specs[si].groups[gi]
}

// stageSpecs is the strategy's stage and groups of a stage of the run.
type stageSpecs struct {
	stage  *fleet.Stage
	groups []*fleet.Group
	// gated reports whether the stage or one of its groups has a gate.
	gated bool
	// nameOrdered reports, by group, whether its members are in name
	// order.
	nameOrdered []bool
}

// nameOrdered reports whether the members of group gi of stage si are in
// name order.
func (rs *runState) nameOrdered(si, gi int) bool {
	rs.indexSpecs()
	return rs.specs[si].nameOrdered[gi]
}

// indexSpecs finds, once, the strategy's stage and group of each stage
// and group of the run (the last of a name, as a search would).
func (rs *runState) indexSpecs() {
	if len(rs.specs) == len(rs.status().Stages) {
		return
	}
	rs.specs = make([]stageSpecs, len(rs.status().Stages))
	for si := range rs.status().Stages {
		st := rs.stage(si)
		gated := len(st.BeforeGates)+len(st.AfterGates) > 0
		for gi := range st.Groups {
			gated = gated || len(st.Groups[gi].BeforeGates)+len(st.Groups[gi].AfterGates) > 0
		}
		rs.specs[si].gated = gated
		rs.specs[si].nameOrdered = make([]bool, len(st.Groups))
		for gi := range st.Groups {
			ms := st.Groups[gi].Members
			rs.specs[si].nameOrdered[gi] = slices.IsSortedFunc(ms, func(a, b fleet.MemberStatus) int { return strings.Compare(a.Name, b.Name) })
		}
		spec := rs.stageSpec(st.Name)
		rs.specs[si].stage = spec
		if spec == nil {
			continue
		}
		byName := make(map[string]*fleet.Group, len(spec.Groups))
		for i := range spec.Groups {
			byName[spec.Groups[i].Name] = &spec.Groups[i]
		}
		rs.specs[si].groups = make([]*fleet.Group, len(st.Groups))
		for gi := range st.Groups {
			rs.specs[si].groups[gi] = byName[st.Groups[gi].Name]
		}
	}
}

// gatesOf returns every gate of a stage: its own and its groups'.
func (rs *runState) gatesOf(si int) []checkpoint {
	if rs.indexSpecs(); !rs.specs[si].gated {
		return []checkpoint{{wait: rs.stage(si).AfterStageWaitStatus}}
	}
	out := append(rs.checkpoints(si, -1, fleet.Before), rs.checkpoints(si, -1, fleet.After)...)
	for gi := range rs.stage(si).Groups {
		out = append(out, rs.checkpoints(si, gi, fleet.Before)...)
		out = append(out, rs.checkpoints(si, gi, fleet.After)...)
	}
	return out
}

// pass opens the checkpoints that are not open yet, completes those whose
// time has come, and reports whether all have ended (Completed or
// Skipped), and when to look again.
func (rs *runState) pass(cps []checkpoint) (done bool, wake time.Time) {
	done = true
	for _, cp := range cps {
		if w := rs.passOne(cp); !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
			wake = w
		}
		if !cp.state().Finished() {
			done = false
		}
	}
	return done, wake
}

func (cp checkpoint) state() fleet.State {
	if cp.gate != nil {
		return cp.gate.Status.State
	}
	return cp.wait.Status.State
}

// passOne moves one checkpoint on, returning when it is due to end.
func (rs *runState) passOne(cp checkpoint) time.Time {
	if w := cp.wait; w != nil {
		switch w.Status.State {
		case fleet.NotStarted, fleet.Stopped:
			rs.setStart(&w.Status, rs.now)
			remaining := time.Duration(w.WaitDurationInSeconds) * time.Second
			if w.Status.State == fleet.Stopped {
				remaining = time.Duration(w.RemainingMilliseconds) * time.Millisecond
				w.RemainingMilliseconds = 0
			}
			deadline := rs.now.Add(remaining)
			rs.setState(&w.Status, fleet.Running)
			w.Deadline = &deadline
			rs.dirty = true
		}
		if w.Status.State == fleet.Running && w.Deadline != nil && !rs.now.Before(*w.Deadline) {
			rs.setState(&w.Status, fleet.Completed)
			rs.setCompleted(&w.Status, &rs.now)
			w.Deadline = nil
		}
		if w.Status.State == fleet.Running && w.Deadline != nil {
			return *w.Deadline
		}
		return time.Time{}
	}
	g := cp.gate
	if g.Status.State == fleet.NotStarted {
		rs.touchPlace(cp.at)
		g.GateID = rs.gateID(cp.at)
		rs.setState(&g.Status, fleet.Pending)
		rs.setStart(&g.Status, rs.now)
		if cp.cfg.Type == fleet.GateScheduledStart && cp.cfg.ScheduledStartConfiguration != nil {
			at, err := fleet.NextScheduledStart("", *cp.cfg.ScheduledStartConfiguration, rs.now)
			if err != nil {
				// Validated at creation; a stored run that is not
				// opens at once rather than never.
				at = rs.now
			}
			g.ScheduledTime = &at
		}
		rs.dirty = true
	}
	if g.Status.State == fleet.Pending && g.ScheduledTime != nil {
		if rs.now.Before(*g.ScheduledTime) {
			return *g.ScheduledTime
		}
		rs.endGate(cp.at, g, fleet.Completed)
	}
	return time.Time{}
}

// endGate completes or skips a gate.
func (rs *runState) endGate(at gatePlace, g *fleet.GateStatus, s fleet.State) {
	if g.Status.State.Finished() {
		return
	}
	rs.touchPlace(at)
	rs.setState(&g.Status, s)
	rs.setStart(&g.Status, rs.now)
	rs.setCompleted(&g.Status, &rs.now)
}

// skipCheckpoints skips those of cps that have not ended.
func (rs *runState) skipCheckpoints(cps []checkpoint) {
	for _, cp := range cps {
		if cp.gate != nil {
			rs.endGate(cp.at, cp.gate, fleet.Skipped)
			continue
		}
		w := cp.wait
		if w.Status.State.Finished() {
			continue
		}
		w.Status.State = fleet.Skipped
		now := rs.now
		w.Status.CompletedTime = &now
		w.Deadline = nil
		w.RemainingMilliseconds = 0
		rs.dirty = true
	}
}

// touchPlace marks the group a gate belongs to as changed.
func (rs *runState) touchPlace(at gatePlace) {
	if at.gi >= 0 {
		rs.touchGroup(at.si, at.gi)
	}
}

// gateID is the id of the gate at a place: the same every time, so a
// gate created again after a crash is the same gate.
func (rs *runState) gateID(at gatePlace) string {
	st := rs.stage(at.si)
	group := ""
	if at.gi >= 0 {
		group = st.Groups[at.gi].Name
	}
	f, _, _, _ := fleet.ParseFleetChildID(rs.run.ID)
	return f.ID() + "/gates/" + fleet.GateName(rs.id, st.Name, group, at.timing, at.index, 1)
}

// gateResource is the Gate resource of a reached gate, as the run sees it.
func (rs *runState) gateResource(cp checkpoint) *fleet.Gate {
	st := rs.stage(cp.at.si)
	target := &fleet.UpdateRunGateTargetInfo{Name: rs.run.Name, Stage: st.Name, Timing: cp.at.timing}
	if cp.at.gi >= 0 {
		target.Group = st.Groups[cp.at.gi].Name
	}
	id := cp.gate.GateID
	return &fleet.Gate{
		ID:   id,
		Name: runName(id),
		Type: fleet.TypeGate,
		Properties: fleet.GateProperties{
			ProvisioningState:        fleet.ProvisioningSucceeded,
			DisplayName:              cp.gate.DisplayName,
			GateType:                 cp.cfg.Type,
			ScheduledStartProperties: cp.cfg.ScheduledStartConfiguration,
			Target:                   fleet.GateTarget{ID: rs.run.ID, UpdateRunProperties: target},
			State:                    cp.gate.Status.State,
			ScheduledTime:            cp.gate.ScheduledTime,
		},
	}
}

// gateEffects returns a sync of the Gate resource of every reached gate
// whose state the resource may not show yet: creating it while Pending
// (and finding it already Completed by an approval), then writing its
// end.
func (rs *runState) gateEffects() []effect {
	var effs []effect
	rs.indexSpecs()
	for si := range rs.status().Stages {
		if !rs.specs[si].gated {
			continue
		}
		for _, cp := range rs.gatesOf(si) {
			if cp.gate == nil || cp.gate.GateID == "" || cp.gate.Status.State == fleet.NotStarted {
				continue
			}
			id := cp.gate.GateID
			if rs.gateSynced[id] == cp.gate.Status.State {
				continue
			}
			if at, ok := rs.gateRetryAt[id]; ok && rs.now.Before(at) {
				continue
			}
			delete(rs.gateRetryAt, id)
			rs.gateSynced[id] = cp.gate.Status.State
			effs = append(effs, effect{kind: effectGate, gate: rs.gateResource(cp)})
		}
	}
	return effs
}

// gateWake is the earliest time a failed gate sync is tried again.
func (rs *runState) gateWake() time.Time {
	var next time.Time
	for _, at := range rs.gateRetryAt {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// gateApproved reports that a gate's resource was completed.
type gateApproved struct{ id string }

// gateSyncFailed reports that a gate's resource could not be written.
type gateSyncFailed struct{ id string }

// onGateApproved completes the pending gate the event names.
func (rs *runState) onGateApproved(ev gateApproved) {
	for si := range rs.status().Stages {
		for _, cp := range rs.gatesOf(si) {
			if cp.gate != nil && canonical(cp.gate.GateID) == ev.id && cp.gate.Status.State == fleet.Pending {
				rs.endGate(cp.at, cp.gate, fleet.Completed)
				rs.gateSynced[cp.gate.GateID] = fleet.Completed
				rs.deriveStage(si)
				rs.deriveRun()
				return
			}
		}
	}
}

func (rs *runState) onGateSyncFailed(ev gateSyncFailed) {
	delete(rs.gateSynced, ev.id)
	rs.gateRetryAt[ev.id] = rs.now.Add(rs.recheck)
}

// gateStates are the states of a list of gates.
func gateStates(gates []fleet.GateStatus) []fleet.State {
	out := make([]fleet.State, len(gates))
	for i, g := range gates {
		out[i] = g.Status.State
	}
	return out
}
