package engine

import (
	"strings"
	"sync"
)

// clusterLocks is the engine's table of which run is upgrading which
// cluster. A run that finds a cluster held waits for it; release wakes the
// runs waiting for that cluster.
type clusterLocks struct {
	mu      sync.Mutex
	held    map[string]string          // cluster → run
	waiting map[string]map[string]bool // cluster → runs waiting
	wake    func(run string)
}

func newClusterLocks(wake func(run string)) *clusterLocks {
	return &clusterLocks{held: map[string]string{}, waiting: map[string]map[string]bool{}, wake: wake}
}

func (l *clusterLocks) acquire(clusterID, run string) (string, bool) {
	c := strings.ToLower(clusterID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.held[c]; ok && h != run {
		if l.waiting[c] == nil {
			l.waiting[c] = map[string]bool{}
		}
		l.waiting[c][run] = true
		return h, false
	}
	l.held[c] = run
	return run, true
}

func (l *clusterLocks) release(clusterID, run string) {
	c := strings.ToLower(clusterID)
	l.mu.Lock()
	if l.held[c] != run {
		l.mu.Unlock()
		return
	}
	delete(l.held, c)
	waiters := l.waiting[c]
	delete(l.waiting, c)
	l.mu.Unlock()
	for w := range waiters {
		l.wake(w)
	}
}

// releaseRun lets go of every cluster a run holds, when its runner ends.
func (l *clusterLocks) releaseRun(run string) {
	l.mu.Lock()
	var mine []string
	for c, h := range l.held {
		if h == run {
			mine = append(mine, c)
		}
	}
	l.mu.Unlock()
	for _, c := range mine {
		l.release(c, run)
	}
}
