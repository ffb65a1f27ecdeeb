package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// badKeys: every store refuses the same keys with the same typed error,
// whichever operation carries them, and accepts keys up to the limit.
func badKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	putFleets(t, s, "f1")
	good := childRec(store.Members, "f1", "m1", "e")
	bad := map[string]string{
		"a NUL byte":        "/subscriptions/s/resourcegroups/g\x00x/providers/microsoft.containerservice/fleets/f",
		"invalid UTF-8":     "/subscriptions/s/resourcegroups/g\xff\xfe/providers/microsoft.containerservice/fleets/f",
		"a lone surrogate":  "/subscriptions/s/resourcegroups/\xed\xa0\x80/providers/microsoft.containerservice/fleets/f",
		"too many bytes":    "/subscriptions/s/resourcegroups/" + strings.Repeat("g", store.MaxKeyBytes) + "/providers/microsoft.containerservice/fleets/f",
		"too many in UTF-8": "/subscriptions/s/resourcegroups/" + strings.Repeat("é", store.MaxKeyBytes/2) + "/fleets/f",
	}
	for what, key := range bad {
		check := func(op string, err error) {
			t.Helper()
			var ik *store.InvalidKeyError
			if !errors.Is(err, store.ErrInvalidKey) || !errors.As(err, &ik) {
				t.Errorf("%s with %s in a key: got %v, want an *InvalidKeyError", op, what, err)
			}
		}
		f := fleetRec("f", "e")
		f.ID = key
		check("Put (id)", s.Put(ctx, f, store.Precondition{}))
		check("Put with If-None-Match (id)", s.Put(ctx, f, store.Precondition{IfNoneMatch: "*"}))
		rec := good
		rec.Parent = key
		check("Put (parent)", s.Put(ctx, rec, store.Precondition{}))
		rec = good
		rec.ETag = key
		check("Put (etag)", s.Put(ctx, rec, store.Precondition{}))
		rec = good
		rec.State = key
		check("Put (state)", s.Put(ctx, rec, store.Precondition{}))
		_, err := s.Get(ctx, store.Fleets, key)
		check("Get", err)
		check("Delete", s.Delete(ctx, store.Fleets, key, store.Precondition{}))
		_, err = s.List(ctx, store.ListOptions{Kind: store.Members, Parent: key})
		check("List (parent)", err)
		_, err = s.List(ctx, store.ListOptions{Kind: store.Fleets, ParentPrefix: key})
		check("List (prefix)", err)
		_, err = s.List(ctx, store.ListOptions{Kind: store.Fleets, After: key})
		check("List (after)", err)
	}
	// Nothing was written by the refused calls.
	page, err := s.List(ctx, store.ListOptions{Kind: store.Fleets})
	must(t, err)
	if len(page.Records) != 1 {
		t.Fatalf("after refused writes there are %d fleets, want 1", len(page.Records))
	}
	// A key of exactly the limit, in multi-byte UTF-8, is fine; so is a
	// child of a fleet with a long id.
	long := fleetRec("f", "e")
	long.ID = rg + "/providers/microsoft.containerservice/fleets/"
	long.ID += strings.Repeat("ü", (store.MaxKeyBytes-40-len(long.ID))/2)
	long.ID += strings.Repeat("x", store.MaxKeyBytes-40-len(long.ID))
	child := childRec(store.Runs, "x", "r", "e")
	child.Parent, child.ID = long.ID, long.ID+"/updateruns/"
	child.ID += strings.Repeat("r", store.MaxKeyBytes-len(child.ID))
	must(t, s.Put(ctx, long, store.Precondition{IfNoneMatch: "*"}))
	must(t, s.Put(ctx, child, store.Precondition{IfNoneMatch: "*"}))
	for _, rec := range []store.Record{long, child} {
		got, err := s.Get(ctx, rec.Kind, rec.ID)
		must(t, err)
		sameRecord(t, got, rec)
	}
	must(t, s.Delete(ctx, store.Fleets, long.ID, store.Precondition{}))
	_, err = s.Get(ctx, store.Runs, child.ID)
	wantErr(t, err, store.ErrNotFound)
}

// hugeBody: bodies (8 MB) far beyond what the API takes in one request (an update
// run of many thousand members) round-trip in every store.
func hugeBody(t *testing.T, s store.Store) {
	ctx := context.Background()
	putFleets(t, s, "f1")
	rec := childRec(store.Runs, "f1", "huge", "e")
	rec.Body = append(append([]byte(`{"x":"`), bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)...), `"}`...)
	must(t, s.Put(ctx, rec, store.Precondition{}))
	got, err := s.Get(ctx, store.Runs, rec.ID)
	must(t, err)
	if !bytes.Equal(got.Body, rec.Body) {
		t.Fatalf("a %d-byte body came back as %d bytes", len(rec.Body), len(got.Body))
	}
}
