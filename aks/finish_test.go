package aks

import (
	"errors"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
)

// A finished operation is remembered for ResultRetention by its id and
// result only: not by its operation, its reports or its callbacks, which
// would keep what they hold (a run's state, a cluster read) alive with it.
func TestFinishedOperationKeepsOnlyItsResult(t *testing.T) {
	p, err := New(Config{Endpoint: "http://127.0.0.1:1", Credential: StaticToken("token")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	id, err := parseClusterID("/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	close(started)
	report := func(error) {}
	tr := &tracker{
		op:      cluster.Operation{ID: "op-1", ClusterID: id.raw, Type: cluster.Full, KubernetesVersion: "1.31.2", Report: report},
		id:      id,
		started: started,
		reports: []func(error){report},
	}
	p.mu.Lock()
	p.trackers[tr.op.ID], p.active[id.key()] = tr, tr
	p.mu.Unlock()
	failed := errors.New("the upgrade failed")
	var got error
	tr.waiters = []func(error){func(err error) { got = err }}
	p.finish(tr, failed, nil)
	if got != failed {
		t.Fatalf("the caller was told %v, want the operation's result", got)
	}
	p.mu.Lock()
	kept, active := p.trackers["op-1"], p.active[id.key()]
	p.mu.Unlock()
	switch {
	case active != nil:
		t.Fatal("the cluster still shows an operation in progress")
	case kept == nil || !kept.finished || kept.err != failed:
		t.Fatalf("kept %+v, want the finished operation with its result", kept)
	case kept == tr || kept.reports != nil || kept.op.Report != nil || kept.op.KubernetesVersion != "" || kept.waiters != nil || kept.ends != nil:
		t.Fatalf("the finished operation is kept whole (%+v), want its id and result only", kept)
	}
}
