package store

import (
	"context"
	"fmt"
	"slices"
)

// Writes are the statements a database store builds a conditional Put
// from. Each reports whether it changed a row; none checks a
// precondition itself. For a kind with a ParentKind, each changes a row
// only while the record's parent exists, and is serialised with Delete
// (a statement either runs before a delete of the parent, and the delete
// removes what it wrote, or after it, and changes nothing).
type Writes struct {
	// Upsert creates or replaces the record.
	Upsert func() (bool, error)
	// InsertIfAbsent creates the record if its id is free.
	InsertIfAbsent func() (bool, error)
	// ReplaceIfUnchanged replaces the record if it still has this kind
	// and ETag.
	ReplaceIfUnchanged func(kind, etag string) (bool, error)
	// Current reads the kind and ETag stored under the record's id.
	Current func() (kind, etag string, found bool, err error)
	// ParentExists reports whether the record's parent exists; called
	// only for kinds with a ParentKind.
	ParentExists func() (bool, error)
}

// PutIf writes a record if cond holds, through statements that each apply
// only to the version checked: a write that loses a race to another
// writer changes nothing and checks again. The common cases take one
// statement: no precondition (upsert), If-Match an ETag (compare-and-set)
// and If-None-Match * on a free id (insert). When a statement changes
// nothing because the record's parent is gone, PutIf returns
// ErrParentNotFound.
func PutIf(ctx context.Context, kind Kind, cond Precondition, w Writes) error {
	// orphan reports ErrParentNotFound when a statement that changed
	// nothing did so for want of a parent.
	orphan := func() error {
		if ParentKind(kind) == "" {
			return nil
		}
		ok, err := w.ParentExists()
		if err == nil && !ok {
			err = ErrParentNotFound
		}
		return err
	}
	switch {
	case cond == Precondition{}:
		for {
			done, err := w.Upsert()
			if done || err != nil {
				return err
			}
			if err := orphan(); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	case cond.IfNoneMatch == "" && cond.IfMatch != "*":
		done, err := w.ReplaceIfUnchanged(string(kind), cond.IfMatch)
		if err == nil && !done {
			if err = orphan(); err == nil {
				err = ErrPreconditionFailed
			}
		}
		return err
	case cond.IfNoneMatch == "*" && cond.IfMatch == "":
		// Done unless the id is taken; if it is, the general case
		// decides.
		if done, err := w.InsertIfAbsent(); done || err != nil {
			return err
		}
		if err := orphan(); err != nil {
			return err
		}
	}
	for {
		curKind, etag, found, err := w.Current()
		if err != nil {
			return err
		}
		if !Check(cond, found && curKind == string(kind), etag) {
			if err := orphan(); err != nil {
				return err
			}
			return ErrPreconditionFailed
		}
		var done bool
		if found {
			done, err = w.ReplaceIfUnchanged(curKind, etag)
		} else {
			done, err = w.InsertIfAbsent()
		}
		if done || err != nil {
			return err
		}
		if err := orphan(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// ReadPage collects a page from query results selected in ID order, at
// most limit+1 of them (limit 0: no limit): the extra one only tells that
// another page follows, and Next is then the last ID returned.
func ReadPage(limit int, next func() bool, scan func() (Record, error)) (Page, error) {
	var page Page
	for next() {
		if limit > 0 && len(page.Records) == limit {
			page.Next = page.Records[len(page.Records)-1].ID
			break
		}
		rec, err := scan()
		if err != nil {
			return Page{}, err
		}
		page.Records = append(page.Records, rec)
	}
	return page, nil
}

// KeptDocument serves a record kept in parts from a database store's
// caches: the parts the store last wrote (parts), or a document it read
// and assembled before (assembled). When the store wrote the record again
// since its row was read, the row is read again through row (which costs
// far less than every part) and looked up once more. found says whether
// the caches served it; when they did not, rec is the row to assemble from
// the database (rec, as read, when it is not kept in parts, with found
// false and checked false). checked says whether the body served is known
// to be a JSON object. store names the store in a CorruptError.
func KeptDocument(ctx context.Context, rec Record, parts *PartsCache, assembled *AssembledCache, row func(context.Context, Kind, string) (Record, error), store string) (out Record, found, checked bool, err error) {
	for again := true; ; again = false {
		if !HasParts(rec.Body) {
			return rec, true, false, nil
		}
		if body, ok, err := parts.Assemble(rec.ID, rec.ETag, rec.Body); ok {
			if err != nil {
				return Record{}, true, false, partsCorrupt(store, rec, err)
			}
			rec.Body = body
			return rec, true, true, nil
		}
		if body, ok := assembled.Get(rec.ID, rec.ETag, rec.Body); ok {
			rec.Body = body
			return rec, true, true, nil
		}
		if etag, ok := parts.Kept(rec.ID); !again || !ok || etag == rec.ETag {
			return rec, false, false, nil
		}
		cur, err := row(ctx, rec.Kind, rec.ID)
		if err != nil {
			return Record{}, true, false, err
		}
		rec = cur
	}
}

// AssembleRead assembles a record read from the database with its parts,
// and keeps the document in assembled when it is a JSON object. checked
// says whether it is; a document that is not is returned unchecked, for
// the caller to report as corrupt. store names the store in a
// CorruptError.
func AssembleRead(cur Record, parts []Part, assembled *AssembledCache, store string) (out Record, checked bool, err error) {
	body, err := Assemble(cur.Body, parts)
	if err != nil {
		return Record{}, false, partsCorrupt(store, cur, err)
	}
	head := cur.Body
	cur.Body = body
	if err := CheckBody(cur); err != nil {
		return cur, false, nil
	}
	assembled.Put(cur.ID, cur.ETag, head, body)
	return cur, true, nil
}

// AssemblePage assembles the records of a page kept in parts through
// assemble, and says which bodies are known to be JSON objects. Without
// share, it copies the bodies the caches keep.
func AssemblePage(ctx context.Context, page Page, share bool, assemble func(context.Context, Record) (Record, bool, error)) (Page, []bool, error) {
	checked := make([]bool, len(page.Records))
	for i, rec := range page.Records {
		got, ok, err := assemble(ctx, rec)
		if err != nil {
			return Page{}, nil, err
		}
		if !share && HasParts(rec.Body) {
			got.Body = slices.Clone(got.Body)
		}
		page.Records[i], checked[i] = got, ok
	}
	return page, checked, nil
}

// partsCorrupt is the error of a record whose parts do not assemble.
func partsCorrupt(store string, rec Record, err error) error {
	return &CorruptError{Store: store, Kind: rec.Kind, ID: rec.ID, Err: fmt.Errorf("its parts do not assemble: %w", err)}
}
