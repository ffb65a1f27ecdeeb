package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// BenchmarkRun1000Members measures the engine alone: a 1,000-member run in
// 4 stages of 5 groups with maxConcurrency 10 per group, on an in-memory
// store and a cloud whose upgrades end the moment they begin. It reports
// the wall time of one run and the cost per member transition (each
// member goes NotStarted → Running → Completed: two transitions), with
// the bytes the engine handed to the store per transition and its writes.
func BenchmarkRun1000Members(b *testing.B) { benchRun(b, 1000) }

// BenchmarkRun10000Members is the same run with ten times the members.
func BenchmarkRun10000Members(b *testing.B) { benchRun(b, 10000) }

// BenchmarkRun10000MembersWithFeed is that run publishing every
// transition to a feed with one subscriber, as a server does.
func BenchmarkRun10000MembersWithFeed(b *testing.B) {
	f := feed.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := f.Subscribe(ctx, feed.Filter{Buffer: 1 << 16})
	go func() {
		for range sub.C {
		}
	}()
	benchRunWith(b, 10000, f)
}

func benchRun(b *testing.B, members int) { benchRunWith(b, members, nil) }

func benchRunWith(b *testing.B, members int, f *feed.Feed) {
	defer func(was bool) { *engine.CheckEncoding = was }(*engine.CheckEncoding)
	*engine.CheckEncoding = false
	for b.Loop() {
		b.StopTimer()
		s, cloud, runID := benchFleet(b, members)
		done := make(chan struct{})
		cfg := engine.Config{
			Store:    s,
			Provider: cloud,
			Persisted: func(rec store.Record) {
				if rec.State == string(fleet.Completed) {
					close(done)
				}
			},
		}
		if f != nil {
			cfg.Feed = f
		}
		eng, err := engine.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := eng.StartRun(context.Background(), runID, ""); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(time.Minute):
			b.Fatal("run did not complete in a minute")
		}
		elapsed := time.Since(start)
		b.StopTimer()
		eng.Close()
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms/run")
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(2*members), "ns/transition")
		writes, written := eng.Writes()
		b.ReportMetric(float64(written)/float64(2*members), "B-written/transition")
		b.ReportMetric(float64(writes), "writes/run")
		b.StartTimer()
	}
}

func benchFleet(b *testing.B, n int) (store.Store, *fake.Provider, string) {
	ctx := context.Background()
	s := memory.New()
	cloud := fake.New()
	cloud.SetInstant(true)
	cloud.SetRegion("eastus", fake.Region{Versions: []string{"1.30.4", "1.31.2"}, Images: map[string]string{ubuntu: ubuntu + "-202411.12.0"}})
	ref := fleet.FleetRef{Subscription: "sub", ResourceGroup: "rg", Fleet: "bench"}
	putFleet(b, s, ref)
	strategy := &fleet.RunStrategy{}
	for st := 0; st < 4; st++ {
		stage := fleet.Stage{Name: fmt.Sprintf("stage-%d", st)}
		for g := 0; g < 5; g++ {
			stage.Groups = append(stage.Groups, fleet.Group{Name: fmt.Sprintf("g-%d-%d", st, g), MaxConcurrency: "10"})
		}
		strategy.Stages = append(strategy.Stages, stage)
	}
	var ms []fleet.Member
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("m-%04d", i)
		id := clusterID(name)
		cloud.AddCluster(cluster.Cluster{ID: id, Name: name, Region: "eastus", KubernetesVersion: "1.30.4", NodePools: []cluster.NodePool{{Name: "p", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"}}})
		m := fleet.Member{ID: ref.Child("members", name), Name: name, Properties: fleet.MemberProperties{ClusterResourceID: id, Group: fmt.Sprintf("g-%d-%d", i%4, (i/4)%5)}}
		rec, _ := store.NewRecord(store.Members, m.ID, ref.ID(), "e", "", m)
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	status, err := fleet.NewRunStatus(strategy, ms)
	if err != nil {
		b.Fatal(err)
	}
	run := fleet.UpdateRun{ID: ref.Child("updateRuns", "r"), Name: "r", Properties: fleet.UpdateRunProperties{Strategy: strategy, ManagedClusterUpdate: full("1.31.2"), Status: status}}
	rec, _ := store.NewRecord(store.Runs, run.ID, ref.ID(), "e", string(fleet.NotStarted), run)
	if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	return s, cloud, run.ID
}
