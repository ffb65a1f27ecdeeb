package clustertest

import (
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
)

func controlPlaneOnly(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("cponly", p.from, p.oldA, p.oldB))
	run(t, e, cluster.Operation{ID: opID("cponly"), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: p.next})
	c := describe(t, e, id)
	if c.KubernetesVersion != p.next {
		t.Errorf("control plane at %s, want %s", c.KubernetesVersion, p.next)
	}
	wantPool(t, c, "sys", p.from, p.oldA)
	wantPool(t, c, "user", p.from, p.oldB)
}

func fullLatest(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("fulllatest", p.from, p.oldA, p.oldB))
	run(t, e, cluster.Operation{ID: opID("fulllatest"), ClusterID: id, Type: cluster.Full, KubernetesVersion: p.next,
		NodeImages: cluster.ImageTarget{Latest: true}})
	c := describe(t, e, id)
	if c.KubernetesVersion != p.next {
		t.Errorf("control plane at %s, want %s", c.KubernetesVersion, p.next)
	}
	wantPool(t, c, "sys", p.next, p.latestA)
	wantPool(t, c, "user", p.next, p.latestB)
}

func fullPinned(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("fullpinned", p.from, p.oldA, p.oldB))
	run(t, e, cluster.Operation{ID: opID("fullpinned"), ClusterID: id, Type: cluster.Full, KubernetesVersion: p.next,
		NodeImages: cluster.ImageTarget{Versions: map[string]string{p.famA: p.midA, p.famB: p.midB}}})
	c := describe(t, e, id)
	if c.KubernetesVersion != p.next {
		t.Errorf("control plane at %s, want %s", c.KubernetesVersion, p.next)
	}
	wantPool(t, c, "sys", p.next, p.midA)
	wantPool(t, c, "user", p.next, p.midB)
}

func nodeImageLatest(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("imglatest", p.from, p.oldA, p.midB))
	run(t, e, cluster.Operation{ID: opID("imglatest"), ClusterID: id, Type: cluster.NodeImageOnly,
		NodeImages: cluster.ImageTarget{Latest: true}})
	c := describe(t, e, id)
	if c.KubernetesVersion != p.from {
		t.Errorf("control plane at %s, want it left at %s", c.KubernetesVersion, p.from)
	}
	wantPool(t, c, "sys", p.from, p.latestA)
	wantPool(t, c, "user", p.from, p.latestB)
}

func nodeImagePinned(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("imgpinned", p.from, p.oldA, p.oldB))
	// Family B has no entry: its pool keeps its image.
	run(t, e, cluster.Operation{ID: opID("imgpinned"), ClusterID: id, Type: cluster.NodeImageOnly,
		NodeImages: cluster.ImageTarget{Versions: map[string]string{p.famA: p.midA}}})
	c := describe(t, e, id)
	wantPool(t, c, "sys", p.from, p.midA)
	wantPool(t, c, "user", p.from, p.oldB)
}

func sameIDBeginsOnce(t *testing.T, e Env, p picks) {
	spec := twoPools("twin", p.from, p.oldA, p.oldB)
	spec.OperationTime = 100 * time.Millisecond
	twin := e.Cloud.CreateCluster(t, spec)
	spec.Name = "subject"
	subject := e.Cloud.CreateCluster(t, spec)
	op := func(id, opid string) cluster.Operation {
		return cluster.Operation{ID: opid, ClusterID: id, Type: cluster.Full, KubernetesVersion: p.next,
			NodeImages: cluster.ImageTarget{Latest: true}}
	}
	run(t, e, op(twin, opID("twin")))
	once := e.Cloud.Began(t, twin)

	o := op(subject, opID("subject"))
	first, err := begin(t, e, o)
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	second, err := begin(t, e, o)
	if err != nil {
		t.Fatalf("Upgrade again with the same id: %v", err)
	}
	if err := first.wait(t); err != nil {
		t.Fatalf("first caller's done: %v", err)
	}
	if err := second.wait(t); err != nil {
		t.Fatalf("second caller's done: %v", err)
	}
	if got := e.Cloud.Began(t, subject); got != once {
		t.Errorf("two Upgrade calls with one id began %d operations; one call began %d", got, once)
	}

	third, err := begin(t, e, o)
	if err != nil {
		t.Fatalf("Upgrade with the id of a finished operation: %v", err)
	}
	if err := third.wait(t); err != nil {
		t.Fatalf("Upgrade with the id of a finished operation reported %v, want its success", err)
	}
	if got := e.Cloud.Began(t, subject); got != once {
		t.Errorf("an Upgrade with the id of a finished operation began %d more operations", got-once)
	}
}

func busy(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("busy", p.from, p.oldA, p.oldB))
	end := e.Cloud.Occupy(t, id)
	if c := describe(t, e, id); !c.Busy {
		t.Errorf("Describe: Busy = false while another operation runs (provisioning state %q)", c.ProvisioningState)
	}
	_, err := begin(t, e, cluster.Operation{ID: opID("busy"), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: p.next})
	wantReason(t, err, cluster.Busy)
	end()
	run(t, e, cluster.Operation{ID: opID("busy-after"), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: p.next})
	if c := describe(t, e, id); c.KubernetesVersion != p.next {
		t.Errorf("control plane at %s after the other operation ended, want %s", c.KubernetesVersion, p.next)
	}
}

func downgrade(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("downgrade", p.next, p.oldA, p.oldB))
	_, err := begin(t, e, cluster.Operation{ID: opID("downgrade"), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: p.from})
	wantReason(t, err, cluster.Rejected)
	if cluster.CodeOf(err) == "" {
		t.Errorf("rejection %v carries no code", err)
	}
}

func skippedMinor(t *testing.T, e Env, p picks) {
	id := e.Cloud.CreateCluster(t, twoPools("skipminor", p.from, p.oldA, p.oldB))
	_, err := begin(t, e, cluster.Operation{ID: opID("skipminor"), ClusterID: id, Type: cluster.Full, KubernetesVersion: p.skip,
		NodeImages: cluster.ImageTarget{Latest: true}})
	wantReason(t, err, cluster.Rejected)
	if cluster.CodeOf(err) == "" {
		t.Errorf("rejection %v carries no code", err)
	}
}

func upgradeMissing(t *testing.T, e Env, p picks) {
	_, err := begin(t, e, cluster.Operation{ID: opID("missing"), ClusterID: e.Cloud.MissingClusterID(), Type: cluster.ControlPlaneOnly, KubernetesVersion: p.next})
	wantReason(t, err, cluster.NotFound)
}

func failure(t *testing.T, e Env, p picks) {
	code := e.Cloud.FailureCode()
	spec := twoPools("failing", p.from, p.oldA, p.oldB)
	spec.FailUpgrades = true
	id := e.Cloud.CreateCluster(t, spec)
	u, err := begin(t, e, cluster.Operation{ID: opID("failing"), ClusterID: id, Type: cluster.Full, KubernetesVersion: p.next,
		NodeImages: cluster.ImageTarget{Latest: true}})
	if err != nil {
		t.Fatalf("Upgrade: %v, want it to begin and fail later", err)
	}
	err = u.wait(t)
	wantReason(t, err, cluster.Failed)
	if got := cluster.CodeOf(err); got != code {
		t.Errorf("failure code = %q, want the cloud's %q (error %v)", got, code, err)
	}
}
