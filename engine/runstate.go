package engine

import (
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
	"github.com/caravan-dev/caravan/version"
)

// mkey locates a member in a run's status tree: stage, group, member.
type mkey struct{ s, g, m int }

// runState is one run being executed: the stored document and what the
// engine knows only in memory.
type runState struct {
	run  *fleet.UpdateRun
	id   string // canonical run id
	etag string

	upgrade fleet.UpgradeType
	want    version.Kubernetes
	sel     fleet.NodeImageSelectionType
	custom  map[string]string // family → image (Custom)

	stageCap []fleet.Concurrency
	groupCap [][]fleet.Concurrency
	// stageBudget and groupBudget are the maxAllowedFailures of each
	// stage and group.
	stageBudget []fleet.Budget
	groupBudget [][]fleet.Budget
	byName      map[string]mkey

	// In memory only.
	inspecting map[mkey]bool
	recheckAt  map[mkey]time.Time
	// reading holds the members whose clusters are being read ahead of
	// their turn; ahead the reads made (see readAheadEffects).
	// aheadDeferred is set when readAheadMax cut a look short.
	reading       map[mkey]bool
	ahead         map[mkey]aheadRead
	aheadDeferred bool
	// verifying holds the Running members whose upgrade reported
	// success: their cluster is read and checked against the target
	// before they end. verifyAt is when one whose read failed is read
	// again.
	verifying map[mkey]bool
	verifyAt  map[mkey]time.Time
	// windows holds, per member, the maintenance window last read of
	// its cluster that governs this run's upgrade (nil: none), to take a
	// group's members in Fleet's order.
	windows map[mkey]*maintenance.Window
	// windowed counts, by stage and group, the members whose windows
	// hold a window (see candidates).
	windowed map[[2]int]int
	// gateSynced holds, by gate id, the state last sent to the gate's
	// resource; gateRetryAt when a sync that failed is tried again.
	gateSynced    map[string]fleet.State
	gateRetryAt   map[string]time.Time
	selecting     bool
	selectRetryAt time.Time
	dirty         bool
	// groupJSON holds each group's encoding since its last change (see
	// encode), by stage and group; nil for a group to encode again.
	groupJSON [][][]byte
	// headAround is the encoding of the run without its status, before
	// and after its ETag (see head).
	headAround [2][]byte
	// specs indexes the strategy by the run's stages and groups (see
	// indexSpecs).
	specs []stageSpecs
	// scratch is orderByWindow's to reuse.
	scratch []rankedMember
	// sums holds each group's counts of its members (see groupSum), by
	// stage and group.
	sums [][]groupSum
	// feedGroups holds the groups changed since the run's transitions
	// were last published (see published); feedAll is set when they all
	// may have.
	feedGroups map[[2]int]bool
	feedAll    bool
	// parts is what is stored of the run in parts (see encodeParts).
	parts partsState
	// lastSize is the size of the last encoding.
	lastSize int
	// now is the time of the event, command or step being applied.
	now time.Time

	newID   func() string
	recheck time.Duration
}

// newRunState prepares a stored run for execution. It fails only on a run
// whose stored spec is inconsistent, which validation at creation prevents.
func newRunState(run *fleet.UpdateRun, etag string, newID func() string, recheck time.Duration) (*runState, error) {
	p := &run.Properties
	if p.Status == nil {
		return nil, fmt.Errorf("update run %s has no status tree", run.ID)
	}
	rs := &runState{
		run:         run,
		id:          canonical(run.ID),
		etag:        etag,
		upgrade:     p.ManagedClusterUpdate.Upgrade.Type,
		sel:         p.ManagedClusterUpdate.SelectionType(),
		byName:      map[string]mkey{},
		inspecting:  map[mkey]bool{},
		reading:     map[mkey]bool{},
		ahead:       map[mkey]aheadRead{},
		recheckAt:   map[mkey]time.Time{},
		verifying:   map[mkey]bool{},
		verifyAt:    map[mkey]time.Time{},
		gateSynced:  map[string]fleet.State{},
		gateRetryAt: map[string]time.Time{},
		windows:     map[mkey]*maintenance.Window{},
		windowed:    map[[2]int]int{},
		newID:       newID,
		recheck:     recheck,
	}
	if v := p.ManagedClusterUpdate.Upgrade.KubernetesVersion; v != "" {
		want, err := version.ParseKubernetes(v)
		if err != nil {
			return nil, fmt.Errorf("update run %s: %w", run.ID, err)
		}
		rs.want = want
	}
	if rs.sel == fleet.NodeImageCustom {
		rs.custom = map[string]string{}
		for _, v := range p.ManagedClusterUpdate.NodeImageSelection.CustomNodeImageVersions {
			img, err := version.ParseNodeImage(v.Version)
			if err != nil {
				return nil, fmt.Errorf("update run %s: %w", run.ID, err)
			}
			rs.custom[img.Family] = v.Version
		}
	}
	stages := p.Status.Stages
	rs.stageCap = make([]fleet.Concurrency, len(stages))
	rs.groupCap = make([][]fleet.Concurrency, len(stages))
	rs.stageBudget = make([]fleet.Budget, len(stages))
	rs.groupBudget = make([][]fleet.Budget, len(stages))
	for si, st := range stages {
		rs.groupCap[si] = make([]fleet.Concurrency, len(st.Groups))
		rs.groupBudget[si] = make([]fleet.Budget, len(st.Groups))
		if spec := rs.stageSpec(st.Name); spec != nil {
			rs.stageCap[si], _ = fleet.ParseConcurrency("", spec.MaxConcurrency)
			rs.stageBudget[si], _ = fleet.ParseBudget("", spec.MaxAllowedFailures)
			for gi, g := range st.Groups {
				for _, gs := range spec.Groups {
					if gs.Name == g.Name {
						rs.groupCap[si][gi], _ = fleet.ParseConcurrency("", gs.MaxConcurrency)
						rs.groupBudget[si][gi], _ = fleet.ParseBudget("", gs.MaxAllowedFailures)
					}
				}
			}
		}
		if st.AfterStageWaitStatus == nil {
			stages[si].AfterStageWaitStatus = &fleet.WaitStatus{Status: fleet.UpdateStatus{State: fleet.NotStarted}}
		}
		for gi, g := range st.Groups {
			for mi, m := range g.Members {
				rs.byName[m.Name] = mkey{si, gi, mi}
			}
		}
	}
	return rs, nil
}

func (rs *runState) stageSpec(name string) *fleet.Stage {
	if rs.run.Properties.Strategy == nil {
		return nil
	}
	for i := range rs.run.Properties.Strategy.Stages {
		if rs.run.Properties.Strategy.Stages[i].Name == name {
			return &rs.run.Properties.Strategy.Stages[i]
		}
	}
	return nil
}

func (rs *runState) status() *fleet.RunStatus { return rs.run.Properties.Status }

func (rs *runState) stage(si int) *fleet.StageStatus { return &rs.status().Stages[si] }

func (rs *runState) group(si, gi int) *fleet.GroupStatus { return &rs.status().Stages[si].Groups[gi] }

func (rs *runState) member(k mkey) *fleet.MemberStatus {
	return &rs.status().Stages[k.s].Groups[k.g].Members[k.m]
}

// each calls f for every member in tree order.
func (rs *runState) each(f func(k mkey, m *fleet.MemberStatus)) {
	for si := range rs.status().Stages {
		rs.eachInStage(si, f)
	}
}

func (rs *runState) eachInStage(si int, f func(k mkey, m *fleet.MemberStatus)) {
	st := rs.stage(si)
	for gi := range st.Groups {
		for mi := range st.Groups[gi].Members {
			f(mkey{si, gi, mi}, &st.Groups[gi].Members[mi])
		}
	}
}

// phase is the run's lifecycle state: its stored state with Pending (a
// Running run whose current stage waits) read as Running.
func (rs *runState) phase() fleet.State {
	s := rs.status().Status.State
	if s == fleet.Pending {
		return fleet.Running
	}
	return s
}

// active reports whether the run has work the engine must drive.
func (rs *runState) active() bool {
	p := rs.phase()
	return p == fleet.Running || p == fleet.Stopping
}

// setState changes a status node's state, marking the run dirty.
func (rs *runState) setState(u *fleet.UpdateStatus, s fleet.State) {
	if u.State != s {
		u.State = s
		rs.dirty = true
	}
}

func (rs *runState) setMessage(m *fleet.MemberStatus, msg string) {
	if m.Message != msg {
		m.Message = msg
		rs.dirty = true
	}
}

func (rs *runState) setStart(u *fleet.UpdateStatus, now time.Time) {
	if u.StartTime == nil {
		t := now
		u.StartTime = &t
		rs.dirty = true
	}
}

func (rs *runState) setCompleted(u *fleet.UpdateStatus, t *time.Time) {
	switch {
	case t == nil && u.CompletedTime == nil:
		return
	case t != nil && u.CompletedTime != nil && u.CompletedTime.Equal(*t):
		return
	}
	if t != nil {
		c := *t
		t = &c
	}
	u.CompletedTime = t
	rs.dirty = true
}

func (rs *runState) memberName(k mkey) string { return rs.member(k).Name }

func (rs *runState) name() string { return rs.run.Name }
