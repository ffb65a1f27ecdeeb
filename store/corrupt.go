package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrCorrupt is what a CorruptError is, for errors.Is.
var ErrCorrupt = errors.New("stored record does not decode")

// CorruptError reports a stored record whose body does not decode: the
// database returned bytes that are not the resource caravan wrote. It is
// not transient; an operator repairs it (see docs/storage.md).
type CorruptError struct {
	// Store names the database, as Name does; empty when not known.
	Store string
	Kind  Kind
	ID    string
	Err   error
}

func (e *CorruptError) Error() string {
	where := e.Store
	if where == "" {
		where = "the store"
	}
	return fmt.Sprintf("%s %s in %s does not decode (%v); run caravan check, then restore the store from a backup or delete the resource", singular(e.Kind), e.ID, where, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func singular(k Kind) string {
	switch k {
	case Fleets:
		return "fleet"
	case Members:
		return "member"
	case Strategies:
		return "update strategy"
	case Runs:
		return "update run"
	}
	return string(k)
}

// CheckBody returns a *CorruptError if rec's body is not a JSON object,
// as every resource is: a cheap check for bodies served as they are
// stored.
func CheckBody(rec Record) error {
	var err error
	switch trimmed := bytes.TrimLeft(rec.Body, " \t\r\n"); {
	case len(trimmed) == 0:
		err = errors.New("the body is empty")
	case !json.Valid(rec.Body):
		err = errors.New("the body is not valid JSON")
	case trimmed[0] != '{':
		err = errors.New("the body is not a JSON object")
	}
	if err != nil {
		return &CorruptError{Kind: rec.Kind, ID: rec.ID, Err: err}
	}
	return nil
}

// Name describes a store for messages, as "SQLite database PATH" or
// "PostgreSQL database HOST:PORT/NAME" (never a password): the store's
// String, if it has one.
func Name(s Store) string {
	if n, ok := s.(fmt.Stringer); ok {
		return n.String()
	}
	return "the store"
}

// Blame names s as the store of a *CorruptError in err that names none.
func Blame(err error, s Store) error {
	var ce *CorruptError
	if errors.As(err, &ce) && ce.Store == "" {
		named := *ce
		named.Store = Name(s)
		return &named
	}
	return err
}

// Damage remembers the stored records found corrupt, until they are
// rewritten or deleted, so that a server can report itself not ready
// while any remain. Its methods are safe for concurrent use and on a nil
// *Damage, which remembers nothing.
type Damage struct {
	mu  sync.Mutex
	bad map[string]*CorruptError
}

// Report remembers the *CorruptError in err, if there is one.
func (d *Damage) Report(err error) {
	var ce *CorruptError
	if d == nil || !errors.As(err, &ce) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bad == nil {
		d.bad = map[string]*CorruptError{}
	}
	d.bad[ce.ID] = ce
}

// Repaired forgets the record id and every record below it: they were
// rewritten or deleted.
func (d *Damage) Repaired(id string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for bad := range d.bad {
		if bad == id || strings.HasPrefix(bad, id+"/") {
			delete(d.bad, bad)
		}
	}
}

// Err is nil when no corrupt record is remembered; otherwise it says how
// many there are and names the first by id.
func (d *Damage) Err() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.bad) == 0 {
		return nil
	}
	ids := make([]string, 0, len(d.bad))
	for id := range d.bad {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	first := d.bad[ids[0]]
	if len(ids) == 1 {
		return first
	}
	return fmt.Errorf("%d stored records do not decode; the first: %w", len(ids), first)
}
