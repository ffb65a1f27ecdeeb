package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// simRun creates n simulated clusters, a fleet "obs" with a member for
// each, and a NotStarted control-plane run "r" of one stage and group
// taking one member at a time.
func simRun(t *testing.T, s *server.Server, n int) (*client.Client, fleet.FleetRef) {
	return simRunIn(t, s, "obs", n, 0)
}

// simRunIn is simRun in fleet fleetName, with the last failing members
// made to fail their upgrades.
func simRunIn(t *testing.T, s *server.Server, fleetName string, n, failing int) (*client.Client, fleet.FleetRef) {
	t.Helper()
	ctx := context.Background()
	c, err := client.New(client.Config{URL: s.URL, Token: "secret", Subscription: sub, ResourceGroup: rg})
	if err != nil {
		t.Fatal(err)
	}
	ref := fleet.FleetRef{Subscription: sub, ResourceGroup: rg, Fleet: fleetName}
	if _, err := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}); err != nil {
		t.Fatal(err)
	}
	var members []string
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		tags := map[string]string{simcloud.TagUpgradeSeconds: "0.05"}
		if i >= n-failing {
			tags[simcloud.TagFailUpgrade] = "true"
		}
		id, err := s.Cloud.CreateCluster(simcloud.ClusterSpec{Subscription: sub, Name: fleetName + "-" + name, ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.30.9", Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutMember(ctx, ref, name, fleet.Member{Properties: fleet.MemberProperties{ClusterResourceID: id, Group: "g"}}); err != nil {
			t.Fatal(err)
		}
		members = append(members, name)
	}
	_, err = c.PutRun(ctx, ref, "r", fleet.UpdateRunProperties{
		Strategy:             &fleet.RunStrategy{Stages: []fleet.Stage{{Name: "s", Groups: []fleet.Group{{Name: "g", MaxConcurrency: "1"}}}}},
		ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31.8"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, ref
}

// waitState polls a run until it reaches state.
func waitState(t *testing.T, c *client.Client, ref fleet.FleetRef, name string, state fleet.State) *fleet.UpdateRun {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		run, err := c.GetRun(context.Background(), ref, name)
		if err != nil {
			t.Fatal(err)
		}
		if run.Properties.Status.Status.State == state {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %s, want %s", name, run.Properties.Status.Status.State, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTheFeedTellsEveryTransitionOfARunInOrderWithItsCaller(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := s.Feed.Subscribe(ctx, feed.Filter{FleetID: fleet.FleetRef{Subscription: sub, ResourceGroup: rg, Fleet: "OBS"}.ID()})
	c, ref := simRun(t, s, 2)
	if _, err := c.StartRun(context.Background(), ref, "r"); err != nil {
		t.Fatal(err)
	}
	run := waitState(t, c, ref, "r", fleet.Completed)
	var got []string
	var last feed.Change
	for last.New != feed.Deleted {
		if last.Kind == feed.KindRun && last.New == fleet.Completed {
			// The engine publishes just after it writes; delete once
			// the completion is out, so that the feed's order is this
			// test's.
			if _, err := c.DeleteRun(context.Background(), ref, "r"); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case last = <-sub.C:
		case <-time.After(10 * time.Second):
			t.Fatalf("changes so far %q; no deletion", got)
		}
		if last.Kind == feed.KindResync {
			t.Fatal("resync on an idle feed")
		}
		got = append(got, fmt.Sprintf("%s %s %s>%s by %s", last.Kind, last.Path, last.Old, last.New, last.Caller.Name))
		if last.Kind == feed.KindRun && last.New == fleet.Completed && last.ETag != run.ETag {
			t.Errorf("completion's ETag %s, the stored run's %s", last.ETag, run.ETag)
		}
	}
	want := []string{
		"run  >Created by admin",
		"run  NotStarted>Running by admin",
		"stage s NotStarted>Running by admin",
		"group s/g NotStarted>Running by admin",
	}
	if len(got) < len(want) || fmt.Sprint(got[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("first changes:\n got %q\nwant %q", got, want)
	}
	// The engine takes one member at a time: each ends before the next
	// starts, whatever the order it picks.
	rest := fmt.Sprint(got[len(want):])
	for _, order := range [][2]string{{"m0", "m1"}, {"m1", "m0"}} {
		a, b := order[0], order[1]
		w := fmt.Sprint([]string{
			"member s/g/" + a + " NotStarted>Running by engine",
			"member s/g/" + a + " Running>Completed by engine",
			"member s/g/" + b + " NotStarted>Running by engine",
			"member s/g/" + b + " Running>Completed by engine",
			"group s/g Running>Completed by engine",
			"wait s/afterStageWait NotStarted>Completed by engine",
			"stage s Running>Completed by engine",
			"run  Running>Completed by engine",
			"run  Completed>Deleted by admin",
		})
		if rest == w {
			return
		}
	}
	t.Fatalf("changes after the start:\n%s", rest)
}
