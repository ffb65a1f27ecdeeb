package store

import (
	"bytes"
	"sync"
)

// AssembledCache keeps the assembled documents of records read from the
// database, by ID and ETag, so that reading a large record that did not
// change does not assemble it again. It keeps only documents checked to be
// JSON objects (see CheckBody), with the record's body as read: a document
// is served only while the database holds that same body under that ETag.
// It holds at most assembledCacheBytes of documents. It is safe for
// concurrent use.
type AssembledCache struct {
	mu      sync.Mutex
	entries map[string]assembled
	size    int
}

type assembled struct {
	etag string
	head []byte
	body []byte
}

func (a assembled) bytes() int { return len(a.head) + len(a.body) }

// assembledCacheBytes bounds the bytes each cache of assembled documents
// or of parts keeps: a few documents of the largest runs (a 10,000-member
// run's is 3.5 MB), many of smaller ones.
const assembledCacheBytes = 64 << 20

// Get returns the assembled document of a record whose body, as read, is
// head at an ETag, if kept. The caller must not change it.
func (c *AssembledCache) Get(id, etag string, head []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.etag != etag || !bytes.Equal(e.head, head) {
		return nil, false
	}
	return e.body, true
}

// Put keeps the assembled document body of a record whose body, as read,
// is head, dropping others at random to make room. The caller must have
// checked body (CheckBody) and must not change it afterwards.
func (c *AssembledCache) Put(id, etag string, head, body []byte) {
	e := assembled{etag: etag, head: bytes.Clone(head), body: body}
	if e.bytes() > assembledCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]assembled{}
	}
	if old, ok := c.entries[id]; ok {
		c.size -= old.bytes()
		delete(c.entries, id)
	}
	for k, old := range c.entries {
		if c.size+e.bytes() <= assembledCacheBytes {
			break
		}
		c.size -= old.bytes()
		delete(c.entries, k)
	}
	c.entries[id] = e
	c.size += e.bytes()
}

// Drop forgets a record's document.
func (c *AssembledCache) Drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[id]; ok {
		c.size -= old.bytes()
		delete(c.entries, id)
	}
}
