package sqlite

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// heldBatcher is a batcher on a one-connection handle whose connection
// the test holds, so that writes queue until it lets go.
type heldBatcher struct {
	b       *batcher
	release func()
	queued  chan int
	taken   chan int
}

func holdWriter(t *testing.T) *heldBatcher {
	t.Helper()
	h := openHandle(t)
	ctx := context.Background()
	conn, err := h.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hb := &heldBatcher{b: &batcher{h: h}, queued: make(chan int, 64), taken: make(chan int, 64)}
	hb.b.onQueue = func(n int) { hb.queued <- n }
	hb.b.onTake = func(n int) { hb.taken <- n }
	var once sync.Once
	hb.release = func() { once.Do(func() { conn.Close() }) }
	t.Cleanup(hb.release)
	return hb
}

// waitTaken waits until a group of n writes is taken from the queue.
func (hb *heldBatcher) waitTaken(t *testing.T, n int) {
	t.Helper()
	select {
	case got := <-hb.taken:
		if got != n {
			t.Fatalf("a group of %d writes was taken, want %d", got, n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no group was taken")
	}
}

// waitQueued waits until n writes wait in the queue.
func (hb *heldBatcher) waitQueued(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-hb.queued:
			if got >= n {
				return
			}
		case <-timeout:
			t.Fatalf("%d writes never queued", n)
		}
	}
}

func insert(a int, fail error) func(context.Context, *txn) error {
	return func(ctx context.Context, tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO t (a) VALUES (?)`, a); err != nil {
			return err
		}
		return fail
	}
}

func rows(t *testing.T, h *handle) []int {
	t.Helper()
	r, err := h.QueryContext(context.Background(), `SELECT a FROM t ORDER BY a`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []int
	for r.Next() {
		var a int
		r.Scan(&a)
		out = append(out, a)
	}
	return out
}

func same(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Writes queued while the writer is busy are committed together, and one
// that fails after changing rows fails alone: its rows are rolled back,
// the others' stand, each caller gets its own answer.
func TestGroupCommitFailsWritesAlone(t *testing.T) {
	hb := holdWriter(t)
	refused := errors.New("refused")
	ctx := context.Background()
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range 5 {
		var fail error
		if i == 2 {
			fail = refused
		}
		wg.Go(func() { errs[i] = hb.b.do(ctx, insert(i, fail), func(err error) error { return err }) })
		// The first write is taken from the queue at once and waits for
		// the connection; the rest queue behind it.
		if i == 0 {
			hb.waitTaken(t, 1)
		}
	}
	hb.waitQueued(t, 4)
	hb.release()
	wg.Wait()
	for i, err := range errs {
		if want := error(nil); i == 2 {
			if !errors.Is(err, refused) {
				t.Errorf("write %d: %v, want its own error", i, err)
			}
		} else if err != want {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := rows(t, hb.b.h); !same(got, []int{0, 1, 3, 4}) {
		t.Errorf("rows %v, want 0 1 3 4: the failed write's row rolled back, the others kept", got)
	}
	if hb.b.groups != 2 {
		t.Errorf("5 writes took %d transactions, want 2 (the first alone, the 4 queued behind it together)", hb.b.groups)
	}
}

// A write alone in its transaction that fails leaves nothing behind.
func TestGroupCommitOfOneRollsBackAFailure(t *testing.T) {
	h := openHandle(t)
	b := &batcher{h: h}
	refused := errors.New("refused")
	if err := b.do(context.Background(), insert(7, refused), func(err error) error { return err }); !errors.Is(err, refused) {
		t.Fatalf("got %v, want the write's error", err)
	}
	if got := rows(t, h); len(got) != 0 {
		t.Fatalf("rows %v after a failed write, want none", got)
	}
}

// A write whose context ends while it waits is withdrawn: it reports the
// context's error and never happens.
func TestGroupCommitWithdrawsACanceledWrite(t *testing.T) {
	hb := holdWriter(t)
	bg := context.Background()
	first := make(chan error, 1)
	go func() { first <- hb.b.do(bg, insert(1, nil), func(err error) error { return err }) }()
	hb.waitTaken(t, 1)
	<-hb.queued // the first write's
	ctx, cancel := context.WithCancel(bg)
	second := make(chan error, 1)
	go func() {
		second <- hb.b.do(ctx, insert(2, nil), func(err error) error { return errors.Join(errors.New("writing 2"), err) })
	}()
	hb.waitQueued(t, 1)
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("the canceled write returned %v, want context.Canceled", err)
	}
	hb.release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := rows(t, hb.b.h); !same(got, []int{1}) {
		t.Fatalf("rows %v, want only the first write's", got)
	}
}

// What runs once a write is committed runs before its caller hears of
// it, in the order the writes were committed, with the write readable,
// and never for a write that failed.
func TestGroupCommitRunsCommittedInOrderBeforeAnswering(t *testing.T) {
	hb := holdWriter(t)
	refused := errors.New("refused")
	ctx := context.Background()
	var mu sync.Mutex
	var ran []int
	var seen [][]int
	errs := make([]error, 4)
	answered := make([]bool, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		var fail error
		if i == 1 {
			fail = refused
		}
		committed := func() {
			mu.Lock()
			defer mu.Unlock()
			if answered[i] {
				t.Errorf("write %d: its caller heard of it before committed ran", i)
			}
			ran = append(ran, i)
			seen = append(seen, rows(t, hb.b.h))
		}
		wg.Go(func() {
			errs[i] = hb.b.doCommitted(ctx, insert(i, fail), func(err error) error { return err }, committed)
			mu.Lock()
			answered[i] = true
			mu.Unlock()
		})
		// One at a time, so that they queue in order.
		if i == 0 {
			hb.waitTaken(t, 1)
			<-hb.queued // the first write's
		} else {
			hb.waitQueued(t, i)
		}
	}
	hb.release()
	wg.Wait()
	if !errors.Is(errs[1], refused) || errs[0] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errors %v, want only write 1's", errs)
	}
	// The queued writes commit together, in the order they queued.
	if !same(ran, []int{0, 2, 3}) {
		t.Fatalf("committed ran for %v, want 0 2 3: each committed write in order, not the failed one", ran)
	}
	if !same(seen[0], []int{0}) || !same(seen[1], []int{0, 2, 3}) {
		t.Errorf("committed saw rows %v, want the write readable when it runs", seen)
	}
}
