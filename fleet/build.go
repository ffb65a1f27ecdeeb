package fleet

import (
	"cmp"
	"fmt"
	"slices"
)

// DefaultStageName and DefaultGroupName name the single stage and group of
// a run created without a strategy.
const (
	DefaultStageName = "default"
	DefaultGroupName = "default"
)

// NewRunStatus freezes a run's member set into its status tree, every node
// NotStarted. With a strategy, each group holds the members whose group
// property names it, in name order, and every group must have at least one
// member; members of groups the strategy does not name are left out. With
// no strategy, one stage with one group holds every member.
func NewRunStatus(strategy *RunStrategy, members []Member) (*RunStatus, error) {
	sorted := slices.Clone(members)
	slices.SortFunc(sorted, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	status := &RunStatus{Status: UpdateStatus{State: NotStarted}}
	if strategy == nil {
		if len(sorted) == 0 {
			return nil, Invalid("properties", "the fleet has no members to update; add members first")
		}
		g := GroupStatus{Name: DefaultGroupName, Status: UpdateStatus{State: NotStarted}}
		for _, m := range sorted {
			g.Members = append(g.Members, newMemberStatus(m))
		}
		status.Stages = []StageStatus{{
			Name:                 DefaultStageName,
			Status:               UpdateStatus{State: NotStarted},
			Groups:               []GroupStatus{g},
			AfterStageWaitStatus: &WaitStatus{Status: UpdateStatus{State: NotStarted}},
		}}
		resolveConcurrency(status, nil)
		return status, nil
	}
	assigned, err := assign(strategy, sorted)
	if err != nil {
		return nil, err
	}
	for i, st := range strategy.Stages {
		ss := StageStatus{
			Name:   st.Name,
			Status: UpdateStatus{State: NotStarted},
			AfterStageWaitStatus: &WaitStatus{
				Status:                UpdateStatus{State: NotStarted},
				WaitDurationInSeconds: st.AfterStageWaitInSeconds,
			},
			BeforeGates: newGateStatuses(st.BeforeGates),
			AfterGates:  newGateStatuses(st.AfterGates),
		}
		for j, g := range st.Groups {
			ms := assigned[g.Name]
			if len(ms) == 0 && (g.MemberSelector != nil || st.MemberSelector != nil) {
				return nil, Invalid(fmt.Sprintf("properties.strategy.stages[%d].groups[%d].memberSelector", i, j),
					"group %q selects no members; label members so that its selector matches, or remove the group", g.Name)
			}
			if len(ms) == 0 {
				return nil, Invalid(fmt.Sprintf("properties.strategy.stages[%d].groups[%d].name", i, j),
					"group %q has no members; set the group property of at least one member to %q, or remove the group", g.Name, g.Name)
			}
			if err := checkBudget(fmt.Sprintf("properties.strategy.stages[%d].groups[%d].maxAllowedFailures", i, j), g.MaxAllowedFailures, len(ms), "group "+g.Name); err != nil {
				return nil, err
			}
			gs := GroupStatus{Name: g.Name, Status: UpdateStatus{State: NotStarted},
				BeforeGates: newGateStatuses(g.BeforeGates), AfterGates: newGateStatuses(g.AfterGates)}
			for _, m := range ms {
				gs.Members = append(gs.Members, newMemberStatus(m))
			}
			ss.Groups = append(ss.Groups, gs)
		}
		n := 0
		for _, g := range ss.Groups {
			n += len(g.Members)
		}
		if err := checkBudget(fmt.Sprintf("properties.strategy.stages[%d].maxAllowedFailures", i), st.MaxAllowedFailures, n, "stage "+st.Name); err != nil {
			return nil, err
		}
		status.Stages = append(status.Stages, ss)
	}
	resolveConcurrency(status, strategy)
	return status, nil
}

func newMemberStatus(m Member) MemberStatus {
	return MemberStatus{
		Name:              m.Name,
		ClusterResourceID: m.Properties.ClusterResourceID,
		Status:            UpdateStatus{State: NotStarted},
	}
}

// LeftOut returns the members a strategy leaves out of a run: those with no
// group or a group the strategy does not name, in name order.
func LeftOut(strategy *RunStrategy, members []Member) []Member {
	if strategy == nil {
		return nil
	}
	assigned, _ := assign(strategy, members)
	in := map[string]bool{}
	for _, ms := range assigned {
		for _, m := range ms {
			in[m.Name] = true
		}
	}
	var out []Member
	for _, m := range members {
		if !in[m.Name] {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// assign gives each group of a strategy its members, in the order given:
// those its memberSelector matches, or else those whose group property
// names it; a stage's selector narrows its groups' members. A member two
// groups take is an error naming both.
func assign(strategy *RunStrategy, members []Member) (map[string][]Member, error) {
	out := map[string][]Member{}
	takenBy := map[string]string{} // member → group
	for i, st := range strategy.Stages {
		var stageSel LabelSelector
		if st.MemberSelector != nil {
			stageSel, _ = ParseSelector("", st.MemberSelector.ByLabel)
		}
		for j, g := range st.Groups {
			var sel LabelSelector
			if g.MemberSelector != nil {
				sel, _ = ParseSelector("", g.MemberSelector.ByLabel)
			}
			for _, m := range members {
				take := m.Properties.Group == g.Name
				if g.MemberSelector != nil {
					take = sel.Matches(m.Properties.Labels)
				}
				if !take || (st.MemberSelector != nil && !stageSel.Matches(m.Properties.Labels)) {
					continue
				}
				if prev, dup := takenBy[m.Name]; dup {
					return nil, Invalid(fmt.Sprintf("properties.strategy.stages[%d].groups[%d]", i, j),
						"member %q is matched by both group %q and group %q; a member can be in only one group: change its labels or group, or the selectors", m.Name, prev, g.Name)
				}
				takenBy[m.Name] = g.Name
				out[g.Name] = append(out[g.Name], m)
			}
		}
	}
	return out, nil
}
