package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// finishAs ends the in-flight operation on a cluster in success, with the
// cluster changed as change says instead of as the operation asked.
func (e *env) finishAs(name string, change func(c *cluster.Cluster)) {
	e.t.Helper()
	for _, id := range e.cloud.InFlight() {
		op, _ := e.cloud.Operation(id)
		if strings.HasSuffix(op.ClusterID, "/"+name) {
			e.cloud.FinishAs(id, change)
			e.settle()
			return
		}
	}
	e.t.Fatalf("no operation in flight on %s; in flight: %v", name, e.upgrading())
}

func nodeImageOnly(sel fleet.NodeImageSelectionType, custom ...string) fleet.ManagedClusterUpdate {
	u := fleet.ManagedClusterUpdate{
		Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeNodeImageOnly},
		NodeImageSelection: &fleet.NodeImageSelection{Type: sel},
	}
	for _, v := range custom {
		u.NodeImageSelection.CustomNodeImageVersions = append(u.NodeImageSelection.CustomNodeImageVersions, fleet.NodeImageVersion{Version: v})
	}
	return u
}

// TestSuccessIsVerifiedAgainstTheCluster: an operation that reports
// success leaves the member Completed only when the cluster, read after
// it, is at the target; otherwise the member fails with a code and a
// message naming the part and what it shows.
func TestSuccessIsVerifiedAgainstTheCluster(t *testing.T) {
	pools := []cluster.NodePool{
		{Name: "system", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"},
		{Name: "user", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"},
	}
	for _, tc := range []struct {
		name     string
		update   fleet.ManagedClusterUpdate
		change   func(c *cluster.Cluster)
		code     string
		contains string
	}{{
		name:     "control plane left behind",
		update:   full("1.31.2"),
		code:     "ControlPlaneNotAtTarget",
		contains: "the control plane shows Kubernetes 1.30.4, not the target 1.31.2",
	}, {
		name:   "one pool left behind",
		update: full("1.31.2"),
		change: func(c *cluster.Cluster) {
			c.KubernetesVersion = "1.31.2"
			c.NodePools[0].KubernetesVersion = "1.31.2"
			c.NodePools[0].NodeImageVersion = ubuntu + "-202411.12.0"
		},
		code:     "NodePoolNotAtTarget",
		contains: "node pool user shows Kubernetes 1.30.4, not the target 1.31.2",
	}, {
		name:   "a pool on another image than the pinned one",
		update: nodeImageOnly(fleet.NodeImageCustom, ubuntu+"-202410.27.0"),
		change: func(c *cluster.Cluster) {
			c.NodePools[0].NodeImageVersion = ubuntu + "-202410.27.0"
			c.NodePools[1].NodeImageVersion = ubuntu + "-202411.12.0"
		},
		code:     "NodeImageNotAtTarget",
		contains: "node pool user shows node image " + ubuntu + "-202411.12.0, not the target " + ubuntu + "-202410.27.0",
	}, {
		name:   "a pool short of the newest image",
		update: nodeImageOnly(fleet.NodeImageLatest),
		change: func(c *cluster.Cluster) {
			c.NodePools[0].NodeImageVersion = ubuntu + "-202411.12.0"
			c.NodePools[1].NodeImageVersion = ubuntu + "-202410.27.0"
		},
		code:     "NodeImageNotAtTarget",
		contains: "node pool user shows node image " + ubuntu + "-202410.27.0, not the target " + ubuntu + "-202411.12.0",
	}, {
		name:   "control plane only, at the target",
		update: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.31.2"}},
		change: func(c *cluster.Cluster) { c.KubernetesVersion = "1.31.2" },
	}} {
		for _, endReads := range []bool{false, true} {
			name := tc.name
			if endReads {
				name += ", with the provider's read at the end"
			}
			t.Run(name, func(t *testing.T) {
				verifyAsCase(t, endReads, pools, tc.update, tc.change, tc.code, tc.contains)
			})
		}
	}
}

// verifyAsCase runs one case of TestSuccessIsVerifiedAgainstTheCluster.
// With endReads, the provider hands the engine its read of the cluster
// after the operation's end, and the engine verifies with it instead of
// describing the cluster again; the outcome must be the same.
func verifyAsCase(t *testing.T, endReads bool, pools []cluster.NodePool, update fleet.ManagedClusterUpdate, change func(c *cluster.Cluster), code, contains string) {
	test(t, func(e *env) {
		e.cloud.SetEndReads(endReads)
		e.member("m", "g", "eastus", "1.30.4", pools...)
		id := e.createRun("r", nil, update)
		e.start(id)
		reads := e.cloud.Describes()
		clusterID := e.memberStatus(id, "m").ClusterResourceID
		observed, _ := e.told.counts(clusterID)
		e.finishAs("m", change)
		want := 1
		if endReads {
			want = 0
		}
		if got := e.cloud.Describes() - reads; got != want {
			t.Errorf("the engine described the cluster %d times after its upgrade ended, want %d", got, want)
		}
		// The read that verified the member is what the engine reports
		// of the cluster; it asks for another only when it has none.
		nowObserved, changed := e.told.counts(clusterID)
		if nowObserved != observed+1 || changed != want {
			t.Errorf("after the upgrade ended the engine reported %d reads of the cluster and %d changes, want 1 and %d", nowObserved-observed, changed, want)
		}
		m := e.memberStatus(id, "m")
		if code == "" {
			e.wantState(id, "m", fleet.Completed)
			if m.Message != "upgraded the control plane to Kubernetes 1.31.2" || m.Observed == nil || m.Observed.KubernetesVersion != "1.31.2" {
				t.Fatalf("member %+v, observed %+v", m, m.Observed)
			}
			return
		}
		e.wantState(id, "m", fleet.Failed)
		e.wantRun(id, fleet.Failed)
		if m.Status.Error == nil || m.Status.Error.Code != code || !strings.Contains(m.Status.Error.Message, contains) || !strings.Contains(m.Message, contains) {
			t.Fatalf("member error %+v, message %q; want code %s and %q", m.Status.Error, m.Message, code, contains)
		}
		if m.Observed == nil || len(m.Observed.NodePools) != 2 {
			t.Fatalf("member's observation %+v", m.Observed)
		}
		e.wantTree(id)
	})
}

// TestVerificationFailsWhenTheClusterIsGone: a cluster that cannot be
// found after its upgrade reported success fails its member.
func TestVerificationFailsWhenTheClusterIsGone(t *testing.T) {
	test(t, func(e *env) {
		e.member("m", "g", "eastus", "1.30.4")
		id := e.createRun("r", nil, full("1.31.2"))
		e.start(id)
		e.cloud.RemoveCluster(clusterID("m"))
		for _, opID := range e.cloud.InFlight() {
			e.cloud.FinishAs(opID, nil)
		}
		e.settle()
		e.wantState(id, "m", fleet.Failed)
		if m := e.memberStatus(id, "m"); m.Status.Error == nil || m.Status.Error.Code == "" {
			t.Fatalf("member %+v", m)
		}
		e.wantTree(id)
	})
}

// TestVerificationReadsAgainWhenTheReadFails: a read after success that
// fails for a passing reason leaves the member Running, holding its
// cluster, and is tried again after the recheck interval.
func TestVerificationReadsAgainWhenTheReadFails(t *testing.T) {
	test(t, func(e *env) {
		e.member("m", "g", "eastus", "1.30.4")
		e.member("n", "g", "eastus", "1.30.4")
		id := e.createRun("r", nil, full("1.31.2"))
		e.start(id)
		e.cloud.FailDescribe(clusterID("m"), cluster.Errorf(cluster.Transient, "TooManyRequests", "throttled"))
		e.finish("m", nil)
		m := e.memberStatus(id, "m")
		if m.Status.State != fleet.Running || !strings.Contains(m.Message, "could not read the cluster to check it is at the target") {
			t.Fatalf("m after a failed read: %s %q", m.Status.State, m.Message)
		}
		e.wantUpgrading() // n waits: m is not done
		e.wantState(id, "n", fleet.NotStarted)
		e.cloud.FailDescribe(clusterID("m"), nil)
		e.advance(time.Minute)
		e.wantState(id, "m", fleet.Completed)
		e.wantUpgrading("n")
		e.wantTree(id)
	})
}

// TestConsistentNamesThePoolsThatKeepANewerImage: a pool already newer
// than the Consistent choice keeps its image; the member's messages name
// it with its image, no message claims the choice for it, and the run's
// status shows the resulting spread.
func TestConsistentNamesThePoolsThatKeepANewerImage(t *testing.T) {
	test(t, func(e *env) {
		// eastus pools were created at their region's newest image,
		// newer than southeastasia's (the common one).
		e.member("east", "g", "eastus", "1.30.4",
			cluster.NodePool{Name: "new", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202411.12.0"},
			cluster.NodePool{Name: "old", KubernetesVersion: "1.30.4", NodeImageVersion: ubuntu + "-202409.01.0"})
		e.member("sea", "g", "southeastasia", "1.30.4")
		id := e.createRun("r", nil, nodeImageOnly(fleet.NodeImageConsistent))
		e.start(id)
		common := ubuntu + "-202410.15.0"
		kept := ubuntu + "-202411.12.0"
		m := e.memberStatus(id, "east")
		if m.Status.State != fleet.Running || !strings.Contains(m.Message, "node pool new keeps "+kept) || !strings.Contains(m.Message, "upgrading to node images "+common) {
			t.Fatalf("east while upgrading: %s %q", m.Status.State, m.Message)
		}
		e.finish("east", nil)
		m = e.memberStatus(id, "east")
		want := "upgraded node images: node pool old on " + common + "; node pool new keeps " + kept + ", newer than the run's image (node images never move backwards)"
		if m.Status.State != fleet.Completed || m.Message != want {
			t.Fatalf("east: %s %q, want %q", m.Status.State, m.Message, want)
		}
		c, _ := e.cloud.Cluster(clusterID("east"))
		for _, p := range c.NodePools {
			if w := map[string]string{"new": kept, "old": common}[p.Name]; p.NodeImageVersion != w {
				t.Fatalf("pool %s is on %s in the cloud, want %s", p.Name, p.NodeImageVersion, w)
			}
		}
		e.finish("sea", nil)
		e.wantRun(id, fleet.Completed)
		sel := e.run(id).Properties.Status.NodeImageSelection
		if len(sel.ResultingNodeImageVersions) != 2 ||
			sel.ResultingNodeImageVersions[0] != (fleet.ImageCount{Version: common, NodePools: 2}) ||
			sel.ResultingNodeImageVersions[1] != (fleet.ImageCount{Version: kept, NodePools: 1}) ||
			!strings.Contains(sel.Message, "east/new keeps "+kept) {
			t.Fatalf("selection status %+v", sel)
		}
		e.wantTree(id)
	})
}

// TestConsistentSkipsAMemberWithAPoolOfAnUnselectedFamily: a pool added
// after the run chose its images, of a family it chose none for, skips
// its member with a message naming the pool.
func TestConsistentSkipsAMemberWithAPoolOfAnUnselectedFamily(t *testing.T) {
	test(t, func(e *env) {
		e.member("a", "g", "eastus", "1.30.4")
		e.member("b", "g", "eastus", "1.30.4")
		id := e.createRun("r", nil, nodeImageOnly(fleet.NodeImageConsistent))
		e.start(id)
		e.wantUpgrading("a")
		c, _ := e.cloud.Cluster(clusterID("b"))
		c.NodePools = append(c.NodePools, cluster.NodePool{Name: "linux3", KubernetesVersion: "1.30.4", NodeImageVersion: azl + "-202409.01.0"})
		e.cloud.AddCluster(c)
		// b was read ahead while a upgrades, before the pool came; that
		// read is past its age (the recheck interval) at b's turn, so b
		// is read again.
		e.advance(2 * time.Minute)
		e.finish("a", nil)
		e.wantState(id, "b", fleet.Skipped)
		m := e.memberStatus(id, "b")
		if !strings.Contains(m.Message, "node pool linux3 uses node image family "+azl) || !strings.Contains(m.Message, "selected no image") {
			t.Fatalf("b's message %q", m.Message)
		}
		e.wantRun(id, fleet.Completed)
		for _, op := range e.cloud.Began() {
			if strings.HasSuffix(op.ClusterID, "/b") {
				t.Fatalf("b was upgraded: %+v", op)
			}
		}
	})
}

// TestAtTargetIsSkippedWithAMessage: a member already at the target is
// Skipped by the engine, with a message and what it observed.
func TestAtTargetIsSkippedWithAMessage(t *testing.T) {
	test(t, func(e *env) {
		e.member("m", "g", "eastus", "1.31.2", cluster.NodePool{Name: "p", KubernetesVersion: "1.31.2", NodeImageVersion: ubuntu + "-202411.12.0"})
		id := e.createRun("r", nil, full("1.31.2"))
		e.start(id)
		m := e.memberStatus(id, "m")
		if m.Status.State != fleet.Skipped || m.Message != "already at Kubernetes 1.31.2 with the target node images" || m.Observed == nil || m.Observed.NodePools[0].NodeImageVersion != ubuntu+"-202411.12.0" {
			t.Fatalf("member %+v", m)
		}
		e.wantUpgrading()
		e.wantTree(id)
	})
}
