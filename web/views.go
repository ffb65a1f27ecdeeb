package web

import (
	"sync"
	"time"
)

// views keeps the last view sent of each run, by the run's ETag, for
// viewMaxAge, so that the dashboards following one run read, decode and
// encode it once per change of the run, not once each. It holds at most
// viewCacheBytes of views. It is safe for concurrent use.
type views struct {
	mu    sync.Mutex
	byRun map[string]keptView
	size  int
}

type keptView struct {
	etag string
	at   time.Time
	data []byte
}

const (
	// viewMaxAge is how old a kept view may be: its elapsed times are as
	// of when it was made.
	viewMaxAge = time.Second
	// viewCacheBytes bounds the views kept: the largest run's (a few
	// MB) with room for others.
	viewCacheBytes = 16 << 20
)

// get returns the view kept of run id at etag, if it was made at most
// viewMaxAge before now. The caller must not change it.
func (v *views) get(id, etag string, now time.Time) ([]byte, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k, ok := v.byRun[id]
	if !ok || k.etag != etag || now.Sub(k.at) > viewMaxAge || now.Before(k.at) {
		return nil, false
	}
	return k.data, true
}

// put keeps a view made at now, dropping views that are too old, and
// others if it needs the room.
func (v *views) put(id, etag string, now time.Time, data []byte) {
	if len(data) > viewCacheBytes/2 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byRun == nil {
		v.byRun = map[string]keptView{}
	}
	for other, k := range v.byRun {
		if other == id || now.Sub(k.at) > viewMaxAge || v.size+len(data) > viewCacheBytes {
			v.size -= len(k.data)
			delete(v.byRun, other)
		}
	}
	v.byRun[id] = keptView{etag: etag, at: now, data: data}
	v.size += len(data)
}
