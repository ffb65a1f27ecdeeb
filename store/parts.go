package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
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
	// Release names clusters whose claims by the record's run (see
	// Claimer), at ReleaseEpoch or older, the write releases in its
	// transaction, as ReleaseClaim would after it: the write that records
	// an upgrade's end lets its cluster go with it. A store that is not a
	// Claimer ignores them.
	Release      []string
	ReleaseEpoch int64
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
