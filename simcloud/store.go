package simcloud

import (
	"hash/fnv"
	"sync"
)

const storeShards = 64

// store holds the clusters in shards so that lookups from thousands of
// concurrent requests do not queue on one lock. A shard's lock guards only
// its map; each cluster has its own lock. Code that holds a cluster's lock
// may take a shard lock, never the other way round.
type store struct {
	shards [storeShards]storeShard
}

type storeShard struct {
	mu sync.RWMutex
	m  map[string]*cluster
}

func (s *store) shard(key string) *storeShard {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return &s.shards[h.Sum32()%storeShards]
}

func (s *store) get(key string) *cluster {
	sh := s.shard(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[key]
}

// insert adds c unless a cluster with its key exists; it reports whether
// it did.
func (s *store) insert(c *cluster) bool {
	sh := s.shard(c.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = map[string]*cluster{}
	}
	if _, ok := sh.m[c.key]; ok {
		return false
	}
	sh.m[c.key] = c
	return true
}

// remove drops c (and only c: a newer cluster under the same key stays).
func (s *store) remove(c *cluster) {
	sh := s.shard(c.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[c.key] == c {
		delete(sh.m, c.key)
	}
}

// all returns every cluster, in no particular order.
func (s *store) all() []*cluster {
	var out []*cluster
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, c := range sh.m {
			out = append(out, c)
		}
		sh.mu.RUnlock()
	}
	return out
}
