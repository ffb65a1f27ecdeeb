package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// The engine's calibration run: calibrationMembers members in 4 stages of
// 5 groups, 10 at a time per group, as the engine's own Go benchmark
// runs them, on the in-memory store and an in-memory cloud whose upgrades
// end the moment they begin.
const (
	calibrationMembers = 200
	calibrationTries   = 5
	calibrationImage   = "AKSUbuntu-2204gen2containerd"
)

// calibrateEngine measures, in this process and at this moment, a fixed
// piece of caravan's own work: the engine driving the calibration run
// from its start to the write of its completion, with no HTTP, cloud or
// database. It returns microseconds per member transition, the best of
// several tries. It moves with the machine as calibrate's figure does,
// and with the engine's code too: compare it only between results of the
// same build.
func calibrateEngine(ctx context.Context) (float64, error) {
	best := time.Duration(1 << 62)
	for range calibrationTries {
		d, err := engineRun(ctx)
		if err != nil {
			return 0, fmt.Errorf("error calibrating with the engine alone: %w", err)
		}
		best = min(best, d)
	}
	return round(float64(best.Microseconds())/float64(2*calibrationMembers), 2), nil
}

// engineRun times one calibration run.
func engineRun(ctx context.Context) (time.Duration, error) {
	s := memory.New()
	defer s.Close()
	cloud := fake.New()
	cloud.SetInstant(true)
	cloud.SetRegion(benchRegion, fake.Region{Versions: []string{fromVersion, toVersion}, Images: map[string]string{calibrationImage: calibrationImage + "-202411.12.0"}})
	ref := fleet.FleetRef{Subscription: "calibration", ResourceGroup: "calibration", Fleet: "calibration"}
	put := func(kind store.Kind, id, parent, state string, v any) error {
		rec, err := store.NewRecord(kind, id, parent, "e", state, v)
		if err != nil {
			return err
		}
		return s.Put(ctx, rec, store.Precondition{})
	}
	if err := put(store.Fleets, ref.ID(), "/subscriptions/calibration/resourceGroups/calibration", "", fleet.Fleet{ID: ref.ID(), Name: ref.Fleet, Type: fleet.TypeFleet}); err != nil {
		return 0, err
	}
	strategy := &fleet.RunStrategy{}
	for st := range 4 {
		stage := fleet.Stage{Name: fmt.Sprintf("stage-%d", st)}
		for g := range 5 {
			stage.Groups = append(stage.Groups, fleet.Group{Name: fmt.Sprintf("g-%d-%d", st, g), MaxConcurrency: "10"})
		}
		strategy.Stages = append(strategy.Stages, stage)
	}
	var members []fleet.Member
	for i := range calibrationMembers {
		name := memberName(i)
		id := "/subscriptions/calibration/resourceGroups/clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		cloud.AddCluster(cluster.Cluster{ID: id, Name: name, Region: benchRegion, KubernetesVersion: fromVersion,
			NodePools: []cluster.NodePool{{Name: benchNodePoolName, KubernetesVersion: fromVersion, NodeImageVersion: calibrationImage + "-202409.01.0"}}})
		m := fleet.Member{ID: ref.Child("members", name), Name: name, Properties: fleet.MemberProperties{ClusterResourceID: id, Group: fmt.Sprintf("g-%d-%d", i%4, (i/4)%5)}}
		if err := put(store.Members, m.ID, ref.ID(), "", m); err != nil {
			return 0, err
		}
		members = append(members, m)
	}
	status, err := fleet.NewRunStatus(strategy, members)
	if err != nil {
		return 0, err
	}
	run := fleet.UpdateRun{ID: ref.Child("updateRuns", "r"), Name: "r", Properties: fleet.UpdateRunProperties{
		Strategy:             strategy,
		ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: toVersion}},
		Status:               status,
	}}
	if err := put(store.Runs, run.ID, ref.ID(), string(fleet.NotStarted), run); err != nil {
		return 0, err
	}
	done := make(chan string, 1)
	eng, err := engine.New(engine.Config{Store: s, Provider: cloud, Persisted: func(rec store.Record) {
		if ended(fleet.State(rec.State)) {
			select {
			case done <- rec.State:
			default:
			}
		}
	}})
	if err != nil {
		return 0, err
	}
	defer eng.Close()
	start := time.Now()
	if _, err := eng.StartRun(ctx, run.ID, ""); err != nil {
		return 0, err
	}
	select {
	case state := <-done:
		if state != string(fleet.Completed) {
			return 0, fmt.Errorf("the calibration run ended %s, not Completed", state)
		}
		return time.Since(start), nil
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("the calibration run did not complete in a minute")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
