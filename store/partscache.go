package store

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"sync"
)

// PartsCache keeps, for the records a store last wrote in parts, what it
// wrote as of their ETag: the record's body and its parts. Reading a
// record another write just changed then assembles it from memory instead
// of reading every part from the database, and cheaply: where each
// reference's parts are is kept from one assembly to the next, so that
// only the bodies a write changed are searched for references again, and
// assembling is a walk that copies bytes (about a millisecond for a
// 10,000-member run). So the documents it assembles are not kept: that
// would hold every record read twice, as parts and as a document, for as
// long as it is not written again (a finished run, for good). A write
// updates what is kept only if it is what the ETag it replaced left;
// otherwise it drops it. It holds at most assembledCacheBytes. It is safe
// for concurrent use.
//
// Everything it keeps was encoded by the writer, so the documents it
// assembles are what the writer would have written whole.
type PartsCache struct {
	mu      sync.Mutex
	entries map[string]*keptParts
	size    int
}

type keptParts struct {
	etag  string
	head  keptNode   // the record's body
	parts []keptNode // in key order
	// bodies is the length of the head's and the parts' bodies, which
	// bounds the assembled document's.
	bodies int
	// size is what the entry holds, in bytes.
	size int
	// layout changes whenever the set of keys does: a reference resolved
	// under another layout is resolved again.
	layout int
}

// keptNode is the head or a part, with the references in its body.
type keptNode struct {
	key  string
	body []byte
	refs []keptRef
}

// keptRef is a reference in a body, body[at:end], to the parts whose
// keys are prefix + "/" + one segment: once resolved (under layout), the
// indexes of those parts.
type keptRef struct {
	at, end  int
	prefix   string
	layout   int
	children []int32
}

// nodeOverhead is what a kept part costs beside its key and body.
const nodeOverhead = 96

func (n *keptNode) bytes() int { return len(n.key) + len(n.body) + nodeOverhead + 48*len(n.refs) }

// scanRefs finds the references in body. A reference at the same place
// in the list as one in old, to the same parts, keeps old's resolution.
func scanRefs(body []byte, old []keptRef) ([]keptRef, error) {
	var refs []keptRef
	for off := 0; ; {
		i := bytes.Index(body[off:], []byte(partsRefOpen))
		if i < 0 {
			return refs, nil
		}
		at := off + i
		rest := body[at+len(partsRefOpen):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return nil, errors.New("a reference to parts is not closed")
		}
		r := keptRef{at: at, end: at + len(partsRefOpen) + j + 1}
		if n := len(refs); n < len(old) && old[n].prefix == string(rest[:j]) {
			r.prefix, r.layout, r.children = old[n].prefix, old[n].layout, old[n].children
		} else {
			r.prefix = string(rest[:j])
		}
		refs = append(refs, r)
		off = r.end
	}
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
		e = &keptParts{layout: 1}
	case e == nil || e.etag != from:
		c.dropLocked(id)
		return
	default:
		c.size -= e.size
		delete(c.entries, id)
	}
	if err := e.apply(w); err != nil {
		// A body that does not assemble: reads go to the database, and
		// report it.
		return
	}
	if e.size > assembledCacheBytes/4 {
		return
	}
	for k := range c.entries {
		if c.size+e.size <= assembledCacheBytes {
			break
		}
		c.dropLocked(k)
	}
	c.entries[id] = e
	c.size += e.size
}

// apply changes e by a write.
func (e *keptParts) apply(w PartedWrite) error {
	parts := w.Parts
	if w.Reset && !sort.SliceIsSorted(parts, func(i, j int) bool { return parts[i].Key < parts[j].Key }) {
		parts = append([]Part(nil), parts...)
		sort.SliceStable(parts, func(i, j int) bool { return parts[i].Key < parts[j].Key })
	}
	for _, p := range parts {
		body := bytes.Clone(p.Body)
		n := len(e.parts)
		i := n
		if n == 0 || e.parts[n-1].key >= p.Key {
			i = sort.Search(n, func(k int) bool { return e.parts[k].key >= p.Key })
		}
		if i < n && e.parts[i].key == p.Key {
			old := &e.parts[i]
			refs, err := scanRefs(body, old.refs)
			if err != nil {
				return err
			}
			e.bodies += len(body) - len(old.body)
			e.size -= old.bytes()
			old.body, old.refs = body, refs
			e.size += old.bytes()
			continue
		}
		refs, err := scanRefs(body, nil)
		if err != nil {
			return err
		}
		e.parts = append(e.parts, keptNode{})
		copy(e.parts[i+1:], e.parts[i:])
		e.parts[i] = keptNode{key: p.Key, body: body, refs: refs}
		e.bodies += len(body)
		e.size += e.parts[i].bytes()
		// A new key: references resolved before may miss it, or point
		// to parts that moved.
		e.layout++
	}
	head := bytes.Clone(w.Record.Body)
	refs, err := scanRefs(head, e.head.refs)
	if err != nil {
		return err
	}
	e.bodies += len(head) - len(e.head.body)
	e.size -= e.head.bytes()
	e.head = keptNode{body: head, refs: refs}
	e.size += e.head.bytes()
	e.etag = w.Record.ETag
	return nil
}

// Assemble returns the document of the record whose body, as read, is
// head at etag, assembled from the parts kept, and reports whether they
// were those of that body and ETag. The document is the caller's.
func (c *PartsCache) Assemble(id, etag string, head []byte) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || e.etag != etag || !bytes.Equal(e.head.body, head) {
		return nil, false, nil
	}
	doc, err := e.write(make([]byte, 0, e.bodies+len(e.parts)+2), &e.head, 0)
	if err != nil {
		return nil, true, err
	}
	return doc, true, nil
}

// write appends the document node n assembles into to b, as expand does.
func (e *keptParts) write(b []byte, n *keptNode, depth int) ([]byte, error) {
	if depth > 16 {
		return nil, errors.New("parts nest deeper than 16 levels")
	}
	last := 0
	for i := range n.refs {
		r := &n.refs[i]
		if r.layout != e.layout {
			e.resolve(r)
		}
		b = append(b, n.body[last:r.at]...)
		b = append(b, '[')
		for k, child := range r.children {
			if k > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.write(b, &e.parts[child], depth+1); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
		last = r.end
	}
	return append(b, n.body[last:]...), nil
}

// resolve finds the parts r stands for: those whose key is r's prefix,
// "/" and one segment, in key order.
func (e *keptParts) resolve(r *keptRef) {
	prefix := r.prefix + "/"
	lo := sort.Search(len(e.parts), func(k int) bool { return e.parts[k].key >= prefix })
	var children []int32
	for k := lo; k < len(e.parts) && strings.HasPrefix(e.parts[k].key, prefix); k++ {
		if !strings.Contains(e.parts[k].key[len(prefix):], "/") {
			children = append(children, int32(k))
		}
	}
	r.children, r.layout = children, e.layout
}

// Kept reports the ETag of the record whose parts are kept, if any.
func (c *PartsCache) Kept(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return "", false
	}
	return e.etag, true
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
