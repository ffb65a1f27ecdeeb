package aks

import (
	"sync"
	"time"
)

// maxRecentReads bounds how many clusters' reads are kept for reuse, so a
// burst of Describes (a fleet-wide look for a Consistent image choice)
// cannot hold many bodies at once. Past it, reads are not kept (and the
// Upgrades that follow read their cluster themselves).
const maxRecentReads = 4096

// recentReads keeps, for a short time, the cluster each Describe read, so
// that the Upgrade the engine calls right after it need not read the same
// cluster again. A kept read is only ever the base of an Upgrade's first
// write, and that write carries the read's eTag in If-Match: a cluster
// that changed meanwhile refuses it (412) and is read afresh.
type recentReads struct {
	mu      sync.Mutex
	ttl     time.Duration // <= 0: nothing is kept
	now     func() time.Time
	entries map[string]recentRead // by cluster key
	kept    int                   // entries that hold a read
	swept   time.Time
}

// recentRead is a kept read, or (obs nil) the mark of a write begun at
// at: a read that began before it must not be kept.
type recentRead struct {
	obs *observation
	at  time.Time // when the read began, or when the write began
}

func newRecentReads(ttl time.Duration, now func() time.Time) *recentReads {
	return &recentReads{ttl: ttl, now: now, entries: map[string]recentRead{}}
}

// remember keeps obs, read from the cloud starting at readAt, unless a
// write on the cluster began since then or a later read is kept.
func (r *recentReads) remember(key string, obs *observation, readAt time.Time) {
	if r.ttl <= 0 || obs.etag == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.sweepLocked(now)
	e, ok := r.entries[key]
	switch {
	case ok && e.obs == nil && !e.at.Before(readAt):
		return // a write began since the read did
	case ok && e.obs != nil && e.at.After(readAt):
		return // a later read is kept
	case (!ok || e.obs == nil) && r.kept >= maxRecentReads:
		return
	}
	r.setLocked(key, recentRead{obs: obs, at: readAt})
}

// take removes the cluster's kept read and returns it when it is fresh.
func (r *recentReads) take(key string) *observation {
	if r.ttl <= 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	if !ok || e.obs == nil {
		return nil
	}
	r.deleteLocked(key)
	if r.now().Sub(e.at) > r.ttl {
		return nil
	}
	return e.obs
}

// writing drops the cluster's kept read as a write on it begins, and marks
// the time so that a read in flight meanwhile is not kept.
func (r *recentReads) writing(key string) {
	if r.ttl <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.sweepLocked(now)
	r.setLocked(key, recentRead{at: now})
}

// sweepLocked forgets what is older than the TTL, at most once per TTL.
// A write mark older than the TTL is no longer needed: a read that began
// before it is too old to be taken anyway.
func (r *recentReads) sweepLocked(now time.Time) {
	if now.Sub(r.swept) < r.ttl {
		return
	}
	r.swept = now
	for k, e := range r.entries {
		if now.Sub(e.at) > r.ttl {
			r.deleteLocked(k)
		}
	}
}

func (r *recentReads) setLocked(key string, e recentRead) {
	r.deleteLocked(key)
	r.entries[key] = e
	if e.obs != nil {
		r.kept++
	}
}

func (r *recentReads) deleteLocked(key string) {
	if e, ok := r.entries[key]; ok {
		delete(r.entries, key)
		if e.obs != nil {
			r.kept--
		}
	}
}
