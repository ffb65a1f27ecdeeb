package engine_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// readBasis stands for what a provider's Describe hands out as a
// cluster's Basis: a read of the cluster, kilobytes in the AKS provider.
type readBasis struct {
	body [4096]byte
	next *readBasis
}

// rememberingProvider gives every read a Basis, keeps a weak pointer to
// each, and remembers every operation's Report after it ended, as the AKS
// provider does for its result retention (an hour): it drops the Basis
// from what it keeps, as the AKS provider does.
type rememberingProvider struct {
	cluster.Provider
	mu      sync.Mutex
	bases   []weak.Pointer[readBasis]
	reports []func(error)
}

func (p *rememberingProvider) Describe(ctx context.Context, id string) (*cluster.Cluster, error) {
	c, err := p.Provider.Describe(ctx, id)
	if err != nil {
		return nil, err
	}
	b := &readBasis{}
	p.mu.Lock()
	p.bases = append(p.bases, weak.Make(b))
	p.mu.Unlock()
	c.Basis = b
	return c, nil
}

func (p *rememberingProvider) Upgrade(ctx context.Context, op cluster.Operation, done func(error)) error {
	p.mu.Lock()
	p.reports = append(p.reports, op.Report)
	p.mu.Unlock()
	op.Basis = nil
	return p.Provider.Upgrade(ctx, op, done)
}

// A provider may remember an operation long after it ended; what the
// engine gave it must not keep the run's runner or the reads its upgrades
// began from alive.
func TestOperationsAProviderRemembersDoNotKeepTheReadsTheyBeganFrom(t *testing.T) {
	test(t, func(e *env) {
		p := &rememberingProvider{}
		e.eng.Close()
		e.wrap = func(inner cluster.Provider) cluster.Provider {
			p.Provider = inner
			return p
		}
		e.startEngine()
		e.member("a", "one", "eastus", "1.30.4")
		e.member("b", "one", "eastus", "1.30.4")
		id := e.createRun("r", stages("s:one"), full("1.31.2"))
		e.start(id)
		e.finish("a", nil)
		e.finish("b", nil)
		e.wantRun(id, fleet.Completed)
		p.mu.Lock()
		reports, bases := len(p.reports), len(p.bases)
		p.mu.Unlock()
		if reports != 2 || bases < 2 {
			t.Fatalf("the provider saw %d upgrades and %d reads, want 2 and at least 2", reports, bases)
		}
		runtime.GC()
		runtime.GC()
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, w := range p.bases {
			if w.Value() != nil {
				t.Errorf("read %d of %d is still reachable after the run completed: the operations the provider remembers keep it", i+1, len(p.bases))
			}
		}
	})
}
