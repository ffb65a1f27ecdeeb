package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// A record can be kept in parts, so that a write of a large document
// changes only the pieces of it that changed. The record's body then holds
// references (PartsRef) where arrays of parts go, and each part, in a row
// of its own, is one element of such an array; its body may hold
// references in turn. Get and List return the assembled document, byte for
// byte what the writer would have written whole.
//
// A part's key is a path of segments joined by "/"; the parts of the array
// that PartsRef(p) stands for are those whose key is p + "/" + one
// segment, in byte order of their keys (so segments are numbered with a
// fixed width). Keys hold no '"' or '\'.

// Part is one element of an array of a record's body, stored apart.
type Part struct {
	Key  string
	Body []byte
}

// PartedWrite is one write of a record kept in parts.
type PartedWrite struct {
	// Record is written as Put writes it; its Body holds the references.
	Record Record
	// Parts are the parts written (created or replaced).
	Parts []Part
	// Reset drops every part of the record not among Parts.
	Reset bool
}

// PartStore is a store that keeps records in parts. The stores of this
// module implement it beside Store.
type PartStore interface {
	// PutParts writes the record and its parts in one transaction, if
	// the record exists with the ETag cond.IfMatch (the only
	// precondition it takes); else ErrPreconditionFailed.
	PutParts(ctx context.Context, w PartedWrite, cond Precondition) error
}

// partsRefOpen begins a reference. encoding/json never writes `\/`, so no
// string it encodes reads as one.
const partsRefOpen = `"\/parts\/`

// PartsRef is the JSON that stands for the array of the parts below key
// prefix; it is valid JSON (a string).
func PartsRef(prefix string) []byte { return []byte(partsRefOpen + prefix + `"`) }

// HasParts reports whether a body holds references to parts.
func HasParts(body []byte) bool { return bytes.Contains(body, []byte(partsRefOpen)) }

// CheckPartedWrite checks what every store checks of a PartedWrite.
func CheckPartedWrite(w PartedWrite, cond Precondition) error {
	if cond.IfMatch == "" || cond.IfMatch == "*" || cond.IfNoneMatch != "" {
		return fmt.Errorf("writing %s %s in parts needs the ETag it replaces (If-Match)", w.Record.Kind, w.Record.ID)
	}
	for _, p := range w.Parts {
		if p.Key == "" || strings.ContainsAny(p.Key, `"\`) {
			return fmt.Errorf("part key %q of %s %s is empty or holds '\"' or '\\'", p.Key, w.Record.Kind, w.Record.ID)
		}
	}
	return nil
}

// Assemble replaces the references in body with the arrays of parts they
// stand for; parts are in key order. A body without references is
// returned as it is.
func Assemble(body []byte, parts []Part) ([]byte, error) {
	if !HasParts(body) {
		return body, nil
	}
	var b bytes.Buffer
	b.Grow(len(body) + 256*len(parts))
	if err := expand(&b, body, parts, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func expand(b *bytes.Buffer, body []byte, parts []Part, depth int) error {
	if depth > 16 {
		return errors.New("parts nest deeper than 16 levels")
	}
	for {
		i := bytes.Index(body, []byte(partsRefOpen))
		if i < 0 {
			b.Write(body)
			return nil
		}
		b.Write(body[:i])
		rest := body[i+len(partsRefOpen):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return errors.New("a reference to parts is not closed")
		}
		prefix := string(rest[:j]) + "/"
		lo := sort.Search(len(parts), func(k int) bool { return parts[k].Key >= prefix })
		b.WriteByte('[')
		n := 0
		for k := lo; k < len(parts) && strings.HasPrefix(parts[k].Key, prefix); k++ {
			if strings.Contains(parts[k].Key[len(prefix):], "/") {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			if err := expand(b, parts[k].Body, parts, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		body = rest[j+1:]
	}
}

// AssembledCache keeps the assembled documents of the records read last,
// by ID and ETag, so that reading a large record that did not change does
// not assemble it again. It holds at most assembledCacheBytes of bodies.
// It is safe for concurrent use.
type AssembledCache struct {
	mu      sync.Mutex
	entries map[string]assembled
	size    int
}

type assembled struct {
	etag string
	body []byte
}

// assembledCacheBytes bounds the bodies kept: a few documents of the
// largest runs (a 10,000-member run's is 3.5 MB), many of smaller ones.
const assembledCacheBytes = 64 << 20

// Get returns the assembled body of a record at an ETag, if kept. The
// caller must not change it.
func (c *AssembledCache) Get(id, etag string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.etag != etag {
		return nil, false
	}
	return e.body, true
}

// Put keeps an assembled body, dropping others at random to make room.
func (c *AssembledCache) Put(id, etag string, body []byte) {
	if len(body) > assembledCacheBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]assembled{}
	}
	if old, ok := c.entries[id]; ok {
		c.size -= len(old.body)
		delete(c.entries, id)
	}
	for k, e := range c.entries {
		if c.size+len(body) <= assembledCacheBytes {
			break
		}
		c.size -= len(e.body)
		delete(c.entries, k)
	}
	c.entries[id] = assembled{etag: etag, body: body}
	c.size += len(body)
}

// PartsCache keeps, for the records a store last wrote in parts, their
// parts as of their ETag, so that reading a record another write just
// changed assembles it from memory rather than reading every part from
// the database. A write updates the parts kept only if they are those of
// the ETag it replaced; otherwise it drops them. It holds at most
// assembledCacheBytes of parts. It is safe for concurrent use.
type PartsCache struct {
	mu      sync.Mutex
	entries map[string]*keptParts
	size    int
}

type keptParts struct {
	etag  string
	parts []Part // in key order
	size  int
}

// Wrote records a committed write in parts that replaced ETag from.
func (c *PartsCache) Wrote(w PartedWrite, from string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*keptParts{}
	}
	id := w.Record.ID
	e := c.entries[id]
	switch {
	case w.Reset:
		c.dropLocked(id)
		e = &keptParts{}
	case e == nil || e.etag != from:
		c.dropLocked(id)
		return
	}
	c.size -= e.size
	for _, p := range w.Parts {
		i := sort.Search(len(e.parts), func(k int) bool { return e.parts[k].Key >= p.Key })
		if i < len(e.parts) && e.parts[i].Key == p.Key {
			e.size += len(p.Body) - len(e.parts[i].Body)
			e.parts[i].Body = bytes.Clone(p.Body)
			continue
		}
		e.parts = append(e.parts, Part{})
		copy(e.parts[i+1:], e.parts[i:])
		e.parts[i] = Part{Key: p.Key, Body: bytes.Clone(p.Body)}
		e.size += len(p.Key) + len(p.Body)
	}
	e.etag = w.Record.ETag
	if e.size > assembledCacheBytes/4 {
		delete(c.entries, id)
		return
	}
	for k := range c.entries {
		if c.size+e.size <= assembledCacheBytes {
			break
		}
		if k != id {
			c.dropLocked(k)
		}
	}
	c.entries[id] = e
	c.size += e.size
}

// Assemble assembles body, the record's at etag, from the parts kept, and
// reports whether they were those of that ETag.
func (c *PartsCache) Assemble(id, etag string, body []byte) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.etag != etag {
		return nil, false, nil
	}
	out, err := Assemble(body, e.parts)
	return out, true, err
}

// Drop forgets a record's parts.
func (c *PartsCache) Drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(id)
}

func (c *PartsCache) dropLocked(id string) {
	if e, ok := c.entries[id]; ok {
		c.size -= e.size
		delete(c.entries, id)
	}
}
