package bench

import (
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// plan is what a scenario sets up and measures: fleets of members, each
// member on a simulated cluster of its own, and the runs over them.
type plan struct {
	fleets []fleetPlan
	runs   []runPlan
	// together starts every run at once; otherwise they run one after
	// another.
	together bool
	// probe measures API latency while the runs go on.
	probe bool
	// latency is how long each member's upgrade takes.
	latency time.Duration
	// jitter spreads latency per cluster, deterministically: each takes
	// latency × (1 ± jitter).
	jitter float64
}

// fleetPlan is one fleet: member i is named memberName(i) and is in
// group groups[i] ("" for none).
type fleetPlan struct {
	name   string
	groups []string
}

// runPlan is one run: its strategy, and for each stage and group the
// indexes of the fleet's members it holds, in name order.
type runPlan struct {
	fleet    int
	name     string
	strategy fleet.RunStrategy
	members  [][][]int // stage → group → member indexes
}

func memberName(i int) string { return fmt.Sprintf("m%05d", i) }

// size is the number of members in the run.
func (r runPlan) size() int {
	n := 0
	for _, st := range r.members {
		for _, g := range st {
			n += len(g)
		}
	}
	return n
}

// clusters is the number of simulated clusters the plan needs.
func (p plan) clusters() int {
	n := 0
	for _, f := range p.fleets {
		n += len(f.groups)
	}
	return n
}

// kubefleetRun adds to f a run over the 100 members from first on, in
// kubefleet's shape: stages of 20, 30 and 50 members, each stage with at
// most half of its members upgrading at once. Each stage has one group
// that lets all of its members go, so the stage's cap is the limit.
func kubefleetRun(f *fleetPlan, fleetIndex int, name string, first int) runPlan {
	r := runPlan{fleet: fleetIndex, name: name}
	next := first
	for si, size := range []int{20, 30, 50} {
		group := fmt.Sprintf("%s-stage-%d", name, si+1)
		var idx []int
		for range size {
			f.groups[next] = group
			idx = append(idx, next)
			next++
		}
		r.strategy.Stages = append(r.strategy.Stages, fleet.Stage{
			Name:           fmt.Sprintf("stage-%d", si+1),
			MaxConcurrency: "50%",
			Groups:         []fleet.Group{{Name: group, MaxConcurrency: "100%"}},
		})
		r.members = append(r.members, [][]int{idx})
	}
	return r
}

// kubefleetRunSize is the number of members in a run of kubefleet's shape.
const kubefleetRunSize = 100

// wideRun adds to f a run over all of its members: stages of groups,
// member i in group i mod (stages × groups), each group upgrading its
// members one at a time.
func wideRun(f *fleetPlan, fleetIndex int, name string, stages, groups int) runPlan {
	r := runPlan{fleet: fleetIndex, name: name, members: make([][][]int, stages)}
	for si := range stages {
		st := fleet.Stage{Name: fmt.Sprintf("stage-%d", si+1)}
		r.members[si] = make([][]int, groups)
		for gi := range groups {
			st.Groups = append(st.Groups, fleet.Group{Name: fmt.Sprintf("s%d-g%d", si+1, gi+1)})
		}
		r.strategy.Stages = append(r.strategy.Stages, st)
	}
	for i := range f.groups {
		g := i % (stages * groups)
		si, gi := g/groups, g%groups
		f.groups[i] = r.strategy.Stages[si].Groups[gi].Name
		r.members[si][gi] = append(r.members[si][gi], i)
	}
	return r
}
