package clustertest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
)

// Timeout bounds every wait of the suite for an operation to end.
var Timeout = 30 * time.Second

var opSeq atomic.Int64

// opID returns an operation id unique in the process.
func opID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, opSeq.Add(1)) }

// twoPools is a cluster with a System pool "sys" of family A and a User
// pool "user" of family B, both at the control plane's version.
func twoPools(name, k8s, imgA, imgB string) ClusterSpec {
	return ClusterSpec{
		Name:              name,
		KubernetesVersion: k8s,
		Pools: []PoolSpec{
			{Name: "sys", Mode: "System", Count: 1, NodeImageVersion: imgA},
			{Name: "user", Mode: "User", Count: 2, NodeImageVersion: imgB},
		},
	}
}

// upgrade is one Upgrade call whose done callback the suite watches.
type upgrade struct {
	calls atomic.Int32
	ch    chan error
}

// begin calls Upgrade and returns its error and the call to wait on.
// When Upgrade returns an error, the suite checks done is never called.
func begin(t *testing.T, e Env, op cluster.Operation) (*upgrade, error) {
	t.Helper()
	u := &upgrade{ch: make(chan error, 4)}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	err := e.Provider.Upgrade(ctx, op, func(err error) {
		u.calls.Add(1)
		u.ch <- err
	})
	t.Cleanup(func() {
		want := int32(1)
		if err != nil {
			want = 0
		}
		if n := u.calls.Load(); n != want {
			t.Errorf("operation %s: done called %d times, want %d (Upgrade returned %v)", op.ID, n, want, err)
		}
	})
	return u, err
}

// wait returns the error done was called with.
func (u *upgrade) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-u.ch:
		return err
	case <-time.After(Timeout):
		t.Fatalf("done not called within %s", Timeout)
		return nil
	}
}

// run begins op and waits for it to succeed.
func run(t *testing.T, e Env, op cluster.Operation) {
	t.Helper()
	u, err := begin(t, e, op)
	if err != nil {
		t.Fatalf("Upgrade(%s %s on %s): %v", op.Type, op.KubernetesVersion, op.ClusterID, err)
	}
	if err := u.wait(t); err != nil {
		t.Fatalf("operation %s (%s %s) ended with %v, want success", op.ID, op.Type, op.KubernetesVersion, err)
	}
}

// describe returns the cluster, failing the test on error.
func describe(t *testing.T, e Env, id string) *cluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c, err := e.Provider.Describe(ctx, id)
	if err != nil {
		t.Fatalf("Describe(%s): %v", id, err)
	}
	return c
}

// pool returns the named pool of c.
func pool(t *testing.T, c *cluster.Cluster, name string) cluster.NodePool {
	t.Helper()
	for _, p := range c.NodePools {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("cluster %s has no node pool %q (pools: %+v)", c.Name, name, c.NodePools)
	return cluster.NodePool{}
}

// wantPool checks a pool's version and image.
func wantPool(t *testing.T, c *cluster.Cluster, name, k8s, image string) {
	t.Helper()
	p := pool(t, c, name)
	if p.KubernetesVersion != k8s || p.NodeImageVersion != image {
		t.Errorf("node pool %s: version %s image %s, want version %s image %s", name, p.KubernetesVersion, p.NodeImageVersion, k8s, image)
	}
}

// wantReason checks err carries the reason.
func wantReason(t *testing.T, err error, want ...cluster.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want reason %v", want)
	}
	got := cluster.ReasonOf(err)
	for _, w := range want {
		if got == w {
			return
		}
	}
	t.Fatalf("got reason %s (%v), want %v", got, err, want)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func sameID(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}
