package api

import "sync"

// shapedCache keeps resources' bodies as shaped for the api-versions that
// drop fields (see shapeBody), by resource, ETag and version, so that a
// client that polls a large run with such a version has it decoded and
// encoded once per change of the run, not once per request. It holds at
// most shapedCacheBytes of bodies. It is safe for concurrent use.
type shapedCache struct {
	mu      sync.Mutex
	entries map[shapedKey]shaped
	size    int
}

type shapedKey struct {
	id      string
	version apiVersion
}

type shaped struct {
	etag string
	body []byte
}

// shapedCacheBytes bounds the bodies kept: the largest run's (3.5 MB) for
// a few versions.
const shapedCacheBytes = 16 << 20

// get returns the body of resource id at etag shaped for version v, if
// kept. The caller must not change it.
func (c *shapedCache) get(id, etag string, v apiVersion) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[shapedKey{id, v}]
	if !ok || e.etag != etag {
		return nil, false
	}
	return e.body, true
}

// put keeps a shaped body, dropping others at random to make room. The
// caller must not change it afterwards.
func (c *shapedCache) put(id, etag string, v apiVersion, body []byte) {
	if len(body) > shapedCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[shapedKey]shaped{}
	}
	k := shapedKey{id, v}
	if old, ok := c.entries[k]; ok {
		c.size -= len(old.body)
		delete(c.entries, k)
	}
	for other, old := range c.entries {
		if c.size+len(body) <= shapedCacheBytes {
			break
		}
		c.size -= len(old.body)
		delete(c.entries, other)
	}
	c.entries[k] = shaped{etag: etag, body: body}
	c.size += len(body)
}
