package feed_test

import (
	"fmt"
	"testing"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// BenchmarkDiff measures what the engine adds to each write of a run of
// 10,000 members in 10 stages of 10 groups: comparing the states of its
// 10,201 nodes with the last write's, one member having changed.
func BenchmarkDiff(b *testing.B) {
	run := &fleet.UpdateRun{ID: fleetA + "/updateRuns/big", Name: "big", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{Status: fleet.UpdateStatus{State: fleet.Running}}}}
	st := run.Properties.Status
	for s := range 10 {
		stage := fleet.StageStatus{Name: fmt.Sprintf("s%d", s), Status: fleet.UpdateStatus{State: fleet.Running}, AfterStageWaitStatus: &fleet.WaitStatus{}}
		for g := range 10 {
			group := fleet.GroupStatus{Name: fmt.Sprintf("g%d", g), Status: fleet.UpdateStatus{State: fleet.Running}}
			for m := range 100 {
				group.Members = append(group.Members, fleet.MemberStatus{Name: fmt.Sprintf("m%d-%d-%d", s, g, m), Status: fleet.UpdateStatus{State: fleet.NotStarted}})
			}
			stage.Groups = append(stage.Groups, group)
		}
		st.Stages = append(st.Stages, stage)
	}
	snap := feed.Take(run)
	member := &st.Stages[5].Groups[5].Members[50]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			member.Status.State = fleet.Running
		} else {
			member.Status.State = fleet.NotStarted
		}
		var changes []feed.Change
		changes, snap = feed.Diff(snap, run, feed.Change{})
		if len(changes) != 1 {
			b.Fatalf("%d changes", len(changes))
		}
	}
}
