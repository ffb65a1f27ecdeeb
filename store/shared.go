package store

import "context"

// SharedReader is a store that can hand a record out without copying its
// body, for callers that serve it as it is (the API's GET of a large run).
// The stores of this module implement it beside Store.
type SharedReader interface {
	// GetShared returns a record as Get does, except that its Body may be
	// shared with the store's caches, so the caller must not change it,
	// and checked reports whether the store knows the body to be a JSON
	// object: the bytes of a write made through this store, or bytes it
	// read from the database and checked (CheckBody) since. A body not
	// known to be one is for the caller to check.
	GetShared(ctx context.Context, kind Kind, id string) (rec Record, checked bool, err error)
}

// GetShared reads a record through s's GetShared, or through Get (with
// checked false) when s is not a SharedReader.
func GetShared(ctx context.Context, s Store, kind Kind, id string) (Record, bool, error) {
	if sr, ok := s.(SharedReader); ok {
		return sr.GetShared(ctx, kind, id)
	}
	rec, err := s.Get(ctx, kind, id)
	return rec, false, err
}

// SharedLister is a store that can list records without copying their
// bodies. The stores of this module implement it beside Store.
type SharedLister interface {
	// ListShared returns a page as List does, except that the records'
	// bodies may be shared with the store's caches, so the caller must
	// not change them, and checked[i] reports whether the store knows the
	// body of the page's record i to be a JSON object (see GetShared).
	ListShared(ctx context.Context, opts ListOptions) (page Page, checked []bool, err error)
}

// ListShared lists records through s's ListShared, or through List (with
// nothing checked) when s is not a SharedLister.
func ListShared(ctx context.Context, s Store, opts ListOptions) (Page, []bool, error) {
	if sl, ok := s.(SharedLister); ok {
		return sl.ListShared(ctx, opts)
	}
	page, err := s.List(ctx, opts)
	return page, make([]bool, len(page.Records)), err
}
