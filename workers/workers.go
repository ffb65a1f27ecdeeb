// Package workers runs short tasks on goroutines that are kept for a
// while after a task ends, ready for the next.
//
// A new goroutine starts with a small stack and grows it as its task
// goes deeper, copying the whole stack each time it doubles. caravan's
// tasks go deep: a request through Azure's SDK passes a dozen pipeline
// policies, and a statement runs SQLite's C code translated to Go. Done on
// fresh goroutines, thousands of them a second, that copying costs a few
// percent of the CPU of an upgrade; a kept goroutine has grown its stack
// already. The most recently idle goroutine is reused first, and one idle
// for longer than the pool's idle time ends. A pool has at most its bound
// of goroutines, busy or idle: in a burst of thousands of tasks at once (a
// hundred runs starting together), most of which wait for their turn at
// the cloud, the tasks beyond it get goroutines of their own that end with
// them, small while they wait, rather than each holding a grown stack.
package workers

import (
	"sync"
	"time"
)

// Pool runs tasks on kept goroutines. The zero Pool is not usable; make
// one with New. It is safe for concurrent use.
type Pool struct {
	idleFor time.Duration
	max     int

	mu     sync.Mutex
	idle   []*worker // most recently idle last
	closed bool
	// owned counts the pool's goroutines, busy or idle; started counts
	// those it ever started.
	owned, started int
}

// worker is a kept goroutine; it takes its next task from tasks.
type worker struct {
	tasks chan func()
}

// New returns a pool of at most max goroutines, each kept idle for at most
// idleFor.
func New(idleFor time.Duration, max int) *Pool {
	return &Pool{idleFor: idleFor, max: max}
}

// Go runs f on an idle goroutine of the pool, on a new one of the pool
// when it has fewer than its bound, or else on a goroutine of its own. It
// never waits for a task to end. After Close, and on a nil Pool, f runs on
// a goroutine of its own.
func (p *Pool) Go(f func()) {
	if p == nil {
		go f()
		return
	}
	p.mu.Lock()
	// Close empties idle: a closed pool has none.
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.tasks <- f // buffered: a worker taken from idle has room
		return
	}
	keep := !p.closed && p.owned < p.max
	if keep {
		p.owned++
		p.started++
	}
	p.mu.Unlock()
	if !keep {
		go f()
		return
	}
	go p.work(&worker{tasks: make(chan func(), 1)}, f)
}

// work runs f, then the tasks handed to w, until w has been idle for the
// pool's idle time or the pool is closed.
func (p *Pool) work(w *worker, f func()) {
	timer := time.NewTimer(p.idleFor)
	defer timer.Stop()
	defer func() {
		p.mu.Lock()
		p.owned--
		p.mu.Unlock()
	}()
	for {
		f()
		if !p.park(w) {
			return
		}
		timer.Reset(p.idleFor)
		var ok bool
		select {
		case f, ok = <-w.tasks:
		case <-timer.C:
			if p.leave(w) {
				return
			}
			// Go took w from idle just now: its task is on the way.
			f, ok = <-w.tasks
		}
		if !ok {
			return
		}
	}
}

// park puts w among the idle workers; false when the pool is closed.
func (p *Pool) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// leave takes w out of the idle workers, reporting whether it was there.
func (p *Pool) leave(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return true
		}
	}
	return false
}

// Close ends the idle goroutines; the busy ones end when their task
// returns. Tasks given after Close still run. Close does not wait for
// tasks. Closing a nil Pool does nothing.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, w := range p.idle {
		close(w.tasks)
	}
	p.idle = nil
}
