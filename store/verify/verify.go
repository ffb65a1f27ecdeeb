// Package verify checks what a store holds: that its schema is one this
// caravan knows, that the database itself is sound (where the store can
// tell), and that every record's body decodes into its resource, agrees
// with the record it is stored as, passes caravan's validation, and lives
// in a parent that exists. `caravan check` runs it.
package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// Problem is one thing wrong with a store: with a record (Kind and ID
// set) or with the database as a whole.
type Problem struct {
	Kind store.Kind
	ID   string
	What string
}

func (p Problem) String() string {
	if p.ID == "" {
		return p.What
	}
	return fmt.Sprintf("%s %s: %s", singular(p.Kind), p.ID, p.What)
}

// Report is what Store found.
type Report struct {
	// Store names the store.
	Store string
	// Schema is the schema version the database records and Known the
	// newest this caravan knows; both 0 for stores without one.
	Schema, Known int
	// Integrity tells whether the database's own check ran.
	Integrity bool
	// Records counts the records of each kind.
	Records map[store.Kind]int
	// Problems lists everything found wrong, in the order found.
	Problems []Problem
}

// Versioned is a store that records a schema version.
type Versioned interface {
	SchemaVersion(ctx context.Context) (have, known int, err error)
}

// Checkable is a store whose database can check its own integrity.
type Checkable interface {
	Integrity(ctx context.Context) ([]string, error)
}

// Kinds are the kinds Store checks, parents first.
var Kinds = []store.Kind{store.Fleets, store.Members, store.Strategies, store.Runs}

// Store checks s. It returns an error only when s cannot be read; what is
// wrong with what s holds is in the report's Problems.
func Store(ctx context.Context, s store.Store) (Report, error) {
	r := Report{Store: store.Name(s), Records: map[store.Kind]int{}}
	if v, ok := s.(Versioned); ok {
		have, known, err := v.SchemaVersion(ctx)
		if err != nil {
			return r, err
		}
		r.Schema, r.Known = have, known
		if have != known {
			r.Problems = append(r.Problems, Problem{What: fmt.Sprintf("the schema is version %d but this caravan knows version %d", have, known)})
		}
	}
	if c, ok := s.(Checkable); ok {
		problems, err := c.Integrity(ctx)
		if err != nil {
			return r, err
		}
		r.Integrity = true
		for _, p := range problems {
			r.Problems = append(r.Problems, Problem{What: "the database's integrity check reports: " + p})
		}
	}
	fleets := map[string]bool{}
	for _, kind := range Kinds {
		opts := store.ListOptions{Kind: kind, Limit: 500}
		for {
			page, err := s.List(ctx, opts)
			if err != nil {
				return r, fmt.Errorf("error listing %s: %w", kind, err)
			}
			for _, rec := range page.Records {
				r.Records[kind]++
				if kind == store.Fleets {
					fleets[rec.ID] = true
				}
				for _, what := range record(rec, fleets) {
					r.Problems = append(r.Problems, Problem{Kind: kind, ID: rec.ID, What: what})
				}
			}
			if page.Next == "" {
				break
			}
			opts.After = page.Next
		}
	}
	return r, nil
}

// record returns what is wrong with one record; fleets holds the ids of
// the fleets stored.
func record(rec store.Record, fleets map[string]bool) []string {
	var out []string
	if err := store.CheckBody(rec); err != nil {
		return []string{strings.Replace(unwrapped(err), "the body", "its body", 1)}
	}
	if store.ParentKind(rec.Kind) == store.Fleets && !fleets[rec.Parent] {
		out = append(out, "its fleet "+rec.Parent+" does not exist")
	}
	var id, name string
	var invalid error
	switch rec.Kind {
	case store.Fleets:
		f, err := store.Decode[fleet.Fleet](rec)
		if err != nil {
			return append(out, "its body does not decode: "+unwrapped(err))
		}
		id, name = f.ID, f.Name
		if strings.TrimSpace(f.Location) == "" {
			invalid = errors.New("it has no location")
		}
	case store.Members:
		m, err := store.Decode[fleet.Member](rec)
		if err != nil {
			return append(out, "its body does not decode: "+unwrapped(err))
		}
		id, name = m.ID, m.Name
		invalid = fleet.ValidateMember("properties", m.Properties)
	case store.Strategies:
		st, err := store.Decode[fleet.UpdateStrategy](rec)
		if err != nil {
			return append(out, "its body does not decode: "+unwrapped(err))
		}
		id, name = st.ID, st.Name
		invalid = fleet.ValidateStrategy("properties.strategy", &st.Properties.Strategy)
	case store.Runs:
		run, err := store.Decode[fleet.UpdateRun](rec)
		if err != nil {
			return append(out, "its body does not decode: "+unwrapped(err))
		}
		id, name = run.ID, run.Name
		switch st := run.Properties.Status; {
		case st == nil:
			invalid = errors.New("it has no status")
		case string(st.Status.State) != rec.State:
			invalid = fmt.Errorf("it is stored as %s but its status says %s", rec.State, st.Status.State)
		case st.Status.Error != nil && st.Status.Error.Code == "StoredRunUnreadable":
			invalid = errors.New("caravan marked it Failed because its document did not decode; delete it")
		}
	default:
		return append(out, "caravan stores no such kind")
	}
	if store.CanonicalID(id) != rec.ID {
		out = append(out, fmt.Sprintf("its body has id %q", id))
	}
	if name == "" || !strings.HasSuffix(rec.ID, "/"+strings.ToLower(name)) {
		out = append(out, fmt.Sprintf("its body has name %q", name))
	}
	if invalid != nil {
		out = append(out, "it is not valid: "+invalid.Error())
	}
	return out
}

// unwrapped is the cause of a *store.CorruptError, which names the record
// again.
func unwrapped(err error) string {
	var ce *store.CorruptError
	if errors.As(err, &ce) {
		return ce.Err.Error()
	}
	return err.Error()
}

func singular(k store.Kind) string {
	switch k {
	case store.Fleets:
		return "fleet"
	case store.Members:
		return "member"
	case store.Strategies:
		return "update strategy"
	case store.Runs:
		return "update run"
	}
	return string(k)
}

// Summary is one line counting the records of r.
func (r Report) Summary() string {
	var parts []string
	for _, k := range Kinds {
		parts = append(parts, fmt.Sprintf("%d %s", r.Records[k], plural(k, r.Records[k])))
	}
	return strings.Join(parts, ", ")
}

func plural(k store.Kind, n int) string {
	s := singular(k)
	if n == 1 {
		return s
	}
	if k == store.Strategies {
		return "update strategies"
	}
	return s + "s"
}
