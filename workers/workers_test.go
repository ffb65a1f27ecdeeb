package workers

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func (p *Pool) counts() (started, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started, len(p.idle)
}

// waitFor polls cond until it holds, or fails the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEveryTaskRunsOnce(t *testing.T) {
	p := New(time.Second, 1000)
	defer p.Close()
	const n = 2000
	var runs [n]atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		p.Go(func() {
			defer wg.Done()
			runs[i].Add(1)
		})
	}
	wg.Wait()
	for i := range n {
		if got := runs[i].Load(); got != 1 {
			t.Fatalf("task %d ran %d times, want once", i, got)
		}
	}
}

func TestAnIdleGoroutineRunsTheNextTask(t *testing.T) {
	p := New(time.Minute, 1000)
	defer p.Close()
	for range 100 {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		// The task has returned; its goroutine is idle once parked.
		waitFor(t, "the goroutine to be idle", func() bool { _, idle := p.counts(); return idle == 1 })
	}
	if started, _ := p.counts(); started != 1 {
		t.Errorf("100 tasks one after another started %d goroutines, want 1", started)
	}
}

func TestTasksRunAtOnce(t *testing.T) {
	p := New(time.Second, 1000)
	defer p.Close()
	const n = 50
	var running atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		p.Go(func() {
			defer wg.Done()
			running.Add(1)
			<-release
		})
	}
	// Go returned 50 times while no task could end: none waited for
	// another.
	waitFor(t, "every task to run", func() bool { return running.Load() == n })
	close(release)
	wg.Wait()
	if started, _ := p.counts(); started != n {
		t.Errorf("%d tasks at once started %d goroutines, want %d", n, started, n)
	}
}

func TestTasksBeyondTheBoundRunOnGoroutinesOfTheirOwn(t *testing.T) {
	p := New(time.Minute, 4)
	defer p.Close()
	var running atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); running.Add(1); <-release })
	}
	// All 20 run at once, 4 of them on the pool's goroutines.
	waitFor(t, "every task to run", func() bool { return running.Load() == 20 })
	if started, _ := p.counts(); started != 4 {
		t.Errorf("20 tasks at once started %d goroutines of the pool, want the bound, 4", started)
	}
	close(release)
	wg.Wait()
	waitFor(t, "the pool's goroutines to be idle", func() bool { _, idle := p.counts(); return idle == 4 })
	// Later tasks go to the pool's idle goroutines.
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	if started, _ := p.counts(); started != 4 {
		t.Errorf("a task after the burst started a goroutine (%d in all), want it on an idle one", started)
	}
}

func TestIdleGoroutinesEnd(t *testing.T) {
	p := New(20*time.Millisecond, 1000)
	defer p.Close()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); time.Sleep(time.Millisecond) })
	}
	wg.Wait()
	waitFor(t, "the idle goroutines to end", func() bool { _, idle := p.counts(); return idle == 0 })
	// A task after they ended gets a new goroutine.
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
}

func TestCloseEndsIdleGoroutinesAndTasksStillRun(t *testing.T) {
	p := New(time.Minute, 1000)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		p.Go(wg.Done)
	}
	wg.Wait()
	waitFor(t, "the goroutines to be idle", func() bool { _, idle := p.counts(); return idle == 5 })
	p.Close()
	p.Close() // twice is fine
	if _, idle := p.counts(); idle != 0 {
		t.Errorf("%d goroutines idle after Close, want none", idle)
	}
	done := make(chan struct{})
	p.Go(func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a task given after Close did not run")
	}
}

// BenchmarkDeepTask compares a task that needs a deep stack on a new
// goroutine each time with the same task on the pool.
func BenchmarkDeepTask(b *testing.B) {
	b.Run("go", func(b *testing.B) {
		for range b.N {
			done := make(chan struct{})
			go func() { recurse(64); close(done) }()
			<-done
		}
	})
	b.Run("pool", func(b *testing.B) {
		p := New(time.Second, 1000)
		defer p.Close()
		for range b.N {
			done := make(chan struct{})
			p.Go(func() { recurse(64); close(done) })
			<-done
		}
	})
}

// recurse uses about n kilobytes of stack.
func recurse(n int) byte {
	var buf [1000]byte
	buf[n%len(buf)] = byte(n)
	if n == 0 {
		return buf[0]
	}
	return recurse(n-1) + buf[n%len(buf)]
}

func TestNilPoolRunsTasks(t *testing.T) {
	var p *Pool
	done := make(chan struct{})
	p.Go(func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a nil pool did not run the task")
	}
	p.Close()
}
