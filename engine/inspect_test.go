package engine_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// countingStore counts the engine's reads of membership and its writes of
// runs in parts.
type countingStore struct {
	*memory.Store
	mu         sync.Mutex
	gets       int   // Get of a member
	existing   []int // the number of ids of each Existing
	partWrites int
	// begun is, for each write, how many members it records as begun.
	begun []int
}

func (s *countingStore) Get(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	if kind == store.Members {
		s.mu.Lock()
		s.gets++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, kind, id)
}

func (s *countingStore) Existing(ctx context.Context, kind store.Kind, ids []string) (map[string]bool, error) {
	s.mu.Lock()
	s.existing = append(s.existing, len(ids))
	s.mu.Unlock()
	return s.Store.Existing(ctx, kind, ids)
}

func (s *countingStore) PutParts(ctx context.Context, w store.PartedWrite, cond store.Precondition) error {
	n := 0
	for _, p := range w.Parts {
		if strings.Contains(p.Key, "/m/") && bytes.Contains(p.Body, []byte(`"state":"Running"`)) {
			n++
		}
	}
	s.mu.Lock()
	s.partWrites++
	s.begun = append(s.begun, n)
	s.mu.Unlock()
	return s.Store.PutParts(ctx, w, cond)
}

func (s *countingStore) counts() (gets int, existing []int, writes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, append([]int(nil), s.existing...), s.partWrites
}

// begunSince returns, for each write after the first n, how many members
// it records as begun, leaving out writes that begin none.
func (s *countingStore) begunSince(n int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, b := range s.begun[n:] {
		if b > 0 {
			out = append(out, b)
		}
	}
	return out
}

// The members whose turn comes together (here the first wave of a
// stage, read ahead while the stage before it ran) are checked together:
// their membership in one read of the store, their clusters claimed
// meanwhile, and their beginnings written in one write of the run. Reads
// made ahead of a turn check no membership; the turn does.
func TestWaveIsCheckedAndBegunTogether(t *testing.T) {
	test(t, func(e *env) {
		e.eng.Close()
		cs := &countingStore{Store: e.store.(*memory.Store)}
		e.store = cs
		e.startEngine()
		e.member("z", "gz", "eastus", "1.30.4")
		for _, m := range []string{"a", "b", "c", "d", "e", "f"} {
			e.member(m, "g"+m, "eastus", "1.30.4")
		}
		e.member("a2", "ga", "eastus", "1.30.4")
		id := e.createRun("r", stages("first:gz;second:ga,gb,gc,gd,ge,gf"), full("1.31.2"))
		e.start(id)
		e.wantUpgrading("z")
		for _, m := range []string{"a", "b", "c", "d", "e", "f"} {
			if n := e.reads.get(m); n != 1 {
				t.Fatalf("%s read %d times while z upgrades, want once (ahead)", m, n)
			}
		}
		_, existing, before := cs.counts()
		if want := []int{1}; !slices.Equal(existing, want) {
			t.Fatalf("membership reads while z upgrades: %v ids per read, want %v (z's turn only)", existing, want)
		}
		e.finish("z", nil)
		e.wantUpgrading("a", "b", "c", "d", "e", "f")
		gets, existing, _ := cs.counts()
		// z's verification, then the second stage's first wave.
		if want := []int{1, 1, 6}; !slices.Equal(existing, want) {
			t.Fatalf("membership reads: %v ids per read, want %v", existing, want)
		}
		if gets != 0 {
			t.Fatalf("%d reads of single members, want none", gets)
		}
		if got := cs.begunSince(before); !slices.Equal(got, []int{6}) {
			t.Fatalf("writes that begin members after z's end: %v members each, want one write of all 6", got)
		}
		e.finish("a", nil)
		e.wantUpgrading("b", "c", "d", "e", "f", "a2")
		_, existing, _ = cs.counts()
		// a's verification, then a2's turn: one read each.
		if want := []int{1, 1, 6, 1, 1}; !slices.Equal(existing, want) {
			t.Fatalf("membership reads: %v ids per read, want %v", existing, want)
		}
		for _, m := range []string{"b", "c", "d", "e", "f", "a2"} {
			e.finish(m, nil)
		}
		e.wantRun(id, fleet.Completed)
	})
}

// failingChecks is a store whose reads of membership fail while fail is
// set.
type failingChecks struct {
	*memory.Store
	mu   sync.Mutex
	fail error
}

func (s *failingChecks) set(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *failingChecks) Existing(ctx context.Context, kind store.Kind, ids []string) (map[string]bool, error) {
	s.mu.Lock()
	err := s.fail
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.Store.Existing(ctx, kind, ids)
}

// A check of a member that caravan's own store fails (at its turn, and
// after its upgrade) says so, not that the cluster could not be read;
// the member waits and is checked again once the store answers.
func TestStoreFailureAtACheckIsNotBlamedOnTheCluster(t *testing.T) {
	test(t, func(e *env) {
		e.eng.Close()
		fs := &failingChecks{Store: e.store.(*memory.Store)}
		e.store = fs
		e.startEngine()
		e.member("m", "g", "eastus", "1.30.4")
		e.member("n", "g", "eastus", "1.30.4")
		id := e.createRun("r", nil, full("1.31.2"))
		fs.set(errors.New("disk I/O error"))
		e.start(id)
		m := e.memberStatus(id, "m")
		if m.Status.State != fleet.Pending || !strings.Contains(m.Message, "could not check the member in caravan's store") ||
			!strings.Contains(m.Message, "disk I/O error") || strings.Contains(m.Message, "read the cluster") {
			t.Fatalf("m while the store fails at its turn: %s %q; want Pending, naming the store and its error", m.Status.State, m.Message)
		}
		e.wantUpgrading()
		fs.set(nil)
		e.advance(time.Minute)
		e.wantUpgrading("m")
		fs.set(errors.New("disk I/O error"))
		e.finish("m", nil)
		m = e.memberStatus(id, "m")
		if m.Status.State != fleet.Running || !strings.Contains(m.Message, "upgrade ended; could not check the member in caravan's store") {
			t.Fatalf("m while the store fails after its upgrade: %s %q; want Running, naming the store", m.Status.State, m.Message)
		}
		fs.set(nil)
		e.advance(time.Minute)
		e.wantState(id, "m", fleet.Completed)
		e.wantUpgrading("n")
		e.finish("n", nil)
		e.wantRun(id, fleet.Completed)
	})
}
