// Package storetest is the conformance suite every store.Store passes: the
// SQLite and PostgreSQL stores run it against a real database, and the
// in-memory store runs it too.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// Harness opens stores for the suite.
type Harness struct {
	// New returns an empty store; the suite closes it.
	New func(t *testing.T) store.Store
	// Reopen closes s and opens the same database again; nil for stores
	// that keep nothing across a reopen.
	Reopen func(t *testing.T, s store.Store) store.Store
}

const rg = "/subscriptions/sub-1/resourcegroups/rg-1"

func fleetRec(name, etag string) store.Record {
	return store.Record{Kind: store.Fleets, ID: rg + "/providers/microsoft.containerservice/fleets/" + name, Parent: rg, ETag: etag, Body: []byte(`{"name":"` + name + `"}`)}
}

func childRec(kind store.Kind, fleet, name, etag string) store.Record {
	parent := rg + "/providers/microsoft.containerservice/fleets/" + fleet
	return store.Record{Kind: kind, ID: parent + "/" + strings.ToLower(string(kind)) + "/" + name, Parent: parent, ETag: etag, Body: []byte(`{"name":"` + name + `"}`)}
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	open := func(t *testing.T) store.Store {
		s := h.New(t)
		t.Cleanup(func() { s.Close() })
		return s
	}

	t.Run("PutGetRoundTrip", func(t *testing.T) {
		s := open(t)
		putFleets(t, s, "f1")
		rec := childRec(store.Runs, "f1", "run-1", "e1")
		rec.State = "Running"
		rec.Body = []byte(`{"name":"run-1","properties":{"x":"ü ✓ \u0000"}}`)
		must(t, s.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}))
		got, err := s.Get(ctx, store.Runs, rec.ID)
		must(t, err)
		sameRecord(t, got, rec)
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := open(t)
		_, err := s.Get(ctx, store.Fleets, fleetRec("nope", "").ID)
		wantErr(t, err, store.ErrNotFound)
	})

	t.Run("GetWrongKind", func(t *testing.T) {
		s := open(t)
		rec := fleetRec("f1", "e1")
		must(t, s.Put(ctx, rec, store.Precondition{}))
		_, err := s.Get(ctx, store.Members, rec.ID)
		wantErr(t, err, store.ErrNotFound)
	})

	t.Run("ExistingInOneRead", func(t *testing.T) {
		s := open(t)
		c, ok := s.(store.Checker)
		if !ok {
			t.Fatalf("%T does not check existence in one read (store.Checker)", s)
		}
		putFleets(t, s, "f1")
		var ids []string
		for i := range 600 {
			rec := childRec(store.Members, "f1", fmt.Sprintf("m%03d", i), "e1")
			ids = append(ids, rec.ID)
			if i%3 != 0 {
				must(t, s.Put(ctx, rec, store.Precondition{}))
			}
		}
		asked := append(slices.Clone(ids), fleetRec("f1", "").ID, "", "not/a valid\x00key")
		got, err := c.Existing(ctx, store.Members, asked)
		must(t, err)
		for i, id := range ids {
			if got[id] != (i%3 != 0) {
				t.Fatalf("Existing says %s exists: %v, want %v", id, got[id], i%3 != 0)
			}
		}
		if len(got) != 400 {
			t.Fatalf("Existing found %d members, want 400 (the fleet is not a member; invalid keys do not exist)", len(got))
		}
		none, err := c.Existing(ctx, store.Members, nil)
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("Existing of no ids: %v", none)
		}
	})

	t.Run("Preconditions", func(t *testing.T) {
		s := open(t)
		rec := fleetRec("f1", "e1")
		wantErr(t, s.Put(ctx, rec, store.Precondition{IfMatch: "*"}), store.ErrPreconditionFailed)
		wantErr(t, s.Put(ctx, rec, store.Precondition{IfMatch: "e0"}), store.ErrPreconditionFailed)
		must(t, s.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}))
		wantErr(t, s.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}), store.ErrPreconditionFailed)
		rec2 := rec
		rec2.ETag, rec2.Body = "e2", []byte(`{"v":2}`)
		wantErr(t, s.Put(ctx, rec2, store.Precondition{IfMatch: "e-wrong"}), store.ErrPreconditionFailed)
		wantErr(t, s.Put(ctx, rec2, store.Precondition{IfNoneMatch: "e1"}), store.ErrPreconditionFailed)
		must(t, s.Put(ctx, rec2, store.Precondition{IfMatch: "e1"}))
		got, err := s.Get(ctx, store.Fleets, rec.ID)
		must(t, err)
		sameRecord(t, got, rec2)
		rec3 := rec2
		rec3.ETag = "e3"
		must(t, s.Put(ctx, rec3, store.Precondition{IfMatch: "*", IfNoneMatch: "e1"}))
		must(t, s.Put(ctx, rec3, store.Precondition{}))
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		rec := fleetRec("f1", "e1")
		wantErr(t, s.Delete(ctx, store.Fleets, rec.ID, store.Precondition{}), store.ErrNotFound)
		must(t, s.Put(ctx, rec, store.Precondition{}))
		wantErr(t, s.Delete(ctx, store.Fleets, rec.ID, store.Precondition{IfMatch: "other"}), store.ErrPreconditionFailed)
		wantErr(t, s.Delete(ctx, store.Members, rec.ID, store.Precondition{}), store.ErrNotFound)
		must(t, s.Delete(ctx, store.Fleets, rec.ID, store.Precondition{IfMatch: "e1"}))
		_, err := s.Get(ctx, store.Fleets, rec.ID)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.Delete(ctx, store.Fleets, rec.ID, store.Precondition{}), store.ErrNotFound)
	})

	t.Run("DeleteCascadesToChildrenOnly", func(t *testing.T) {
		s := open(t)
		for _, f := range []string{"a", "ab", "b"} {
			must(t, s.Put(ctx, fleetRec(f, "e"), store.Precondition{}))
			must(t, s.Put(ctx, childRec(store.Members, f, "m1", "e"), store.Precondition{}))
			must(t, s.Put(ctx, childRec(store.Runs, f, "r1", "e"), store.Precondition{}))
		}
		must(t, s.Delete(ctx, store.Fleets, fleetRec("a", "").ID, store.Precondition{}))
		for _, kind := range []store.Kind{store.Members, store.Runs} {
			_, err := s.Get(ctx, kind, childRec(kind, "a", map[store.Kind]string{store.Members: "m1", store.Runs: "r1"}[kind], "").ID)
			wantErr(t, err, store.ErrNotFound)
		}
		for _, f := range []string{"ab", "b"} {
			if _, err := s.Get(ctx, store.Members, childRec(store.Members, f, "m1", "").ID); err != nil {
				t.Fatalf("deleting fleet a removed a member of fleet %s: %v", f, err)
			}
		}
		// Deleting a child leaves its parent alone.
		must(t, s.Delete(ctx, store.Members, childRec(store.Members, "b", "m1", "").ID, store.Precondition{}))
		if _, err := s.Get(ctx, store.Fleets, fleetRec("b", "").ID); err != nil {
			t.Fatalf("deleting a member removed its fleet: %v", err)
		}
	})

	t.Run("ListByParentInOrder", func(t *testing.T) {
		s := open(t)
		putFleets(t, s, "f1", "f2")
		names := []string{"m-10", "m-02", "m-01", "z", "a"}
		for _, n := range names {
			must(t, s.Put(ctx, childRec(store.Members, "f1", n, "e"), store.Precondition{}))
		}
		must(t, s.Put(ctx, childRec(store.Members, "f2", "m-00", "e"), store.Precondition{}))
		must(t, s.Put(ctx, childRec(store.Runs, "f1", "r", "e"), store.Precondition{}))
		page, err := s.List(ctx, store.ListOptions{Kind: store.Members, Parent: childRec(store.Members, "f1", "x", "").Parent})
		must(t, err)
		got := ids(page.Records)
		want := []string{"a", "m-01", "m-02", "m-10", "z"}
		if len(got) != len(want) {
			t.Fatalf("listed %v, want names %v", got, want)
		}
		for i, n := range want {
			if !strings.HasSuffix(got[i], "/"+n) {
				t.Fatalf("listed %v, want names %v in that order", got, want)
			}
		}
		if page.Next != "" {
			t.Fatalf("unpaged list returned a next token %q", page.Next)
		}
	})

	t.Run("ListPagesCoverEverythingOnce", func(t *testing.T) {
		s := open(t)
		const n = 57
		putFleets(t, s, "f1")
		for i := 0; i < n; i++ {
			must(t, s.Put(ctx, childRec(store.Members, "f1", fmt.Sprintf("m-%03d", i), "e"), store.Precondition{}))
		}
		parent := childRec(store.Members, "f1", "x", "").Parent
		seen := map[string]bool{}
		after, pages := "", 0
		for {
			page, err := s.List(ctx, store.ListOptions{Kind: store.Members, Parent: parent, Limit: 10, After: after})
			must(t, err)
			pages++
			if len(page.Records) > 10 {
				t.Fatalf("page of %d records exceeds the limit of 10", len(page.Records))
			}
			for _, r := range page.Records {
				if seen[r.ID] {
					t.Fatalf("record %s listed twice", r.ID)
				}
				seen[r.ID] = true
			}
			if page.Next == "" {
				break
			}
			after = page.Next
			if pages > n {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != n || pages != 6 {
			t.Fatalf("paging saw %d records in %d pages, want %d in 6", len(seen), pages, n)
		}
	})

	t.Run("ListByParentPrefix", func(t *testing.T) {
		s := open(t)
		put := func(sub, group, name string) {
			parent := "/subscriptions/" + sub + "/resourcegroups/" + group
			must(t, s.Put(ctx, store.Record{Kind: store.Fleets, ID: parent + "/providers/microsoft.containerservice/fleets/" + name, Parent: parent, ETag: "e", Body: []byte(`{}`)}, store.Precondition{}))
		}
		put("s1", "g1", "f1")
		put("s1", "g2", "f2")
		put("s10", "g1", "f3")
		put("s2", "g1", "f4")
		page, err := s.List(ctx, store.ListOptions{Kind: store.Fleets, ParentPrefix: "/subscriptions/s1/"})
		must(t, err)
		if got := ids(page.Records); len(got) != 2 || !strings.HasSuffix(got[0], "/f1") || !strings.HasSuffix(got[1], "/f2") {
			t.Fatalf("subscription s1 lists %v, want f1 and f2", got)
		}
		page, err = s.List(ctx, store.ListOptions{Kind: store.Fleets})
		must(t, err)
		if len(page.Records) != 4 {
			t.Fatalf("listing every fleet gave %d, want 4", len(page.Records))
		}
	})

	t.Run("ListByState", func(t *testing.T) {
		s := open(t)
		putFleets(t, s, "f0", "f1")
		for i, st := range []string{"Running", "Completed", "Stopping", "NotStarted", "Running"} {
			rec := childRec(store.Runs, fmt.Sprintf("f%d", i%2), fmt.Sprintf("r%d", i), "e")
			rec.State = st
			must(t, s.Put(ctx, rec, store.Precondition{}))
		}
		page, err := s.List(ctx, store.ListOptions{Kind: store.Runs, States: []string{"Running", "Stopping"}})
		must(t, err)
		if len(page.Records) != 3 {
			t.Fatalf("runs in Running or Stopping: got %d, want 3", len(page.Records))
		}
		for _, r := range page.Records {
			if r.State != "Running" && r.State != "Stopping" {
				t.Fatalf("state filter returned a %s run", r.State)
			}
		}
		// A state change moves the record between filters.
		rec := page.Records[0]
		rec.State, rec.ETag = "Completed", "e2"
		must(t, s.Put(ctx, rec, store.Precondition{IfMatch: "e"}))
		page, err = s.List(ctx, store.ListOptions{Kind: store.Runs, States: []string{"Running", "Stopping"}})
		must(t, err)
		if len(page.Records) != 2 {
			t.Fatalf("after completing one run, %d remain active, want 2", len(page.Records))
		}
	})

	t.Run("LargeBody", func(t *testing.T) {
		s := open(t)
		putFleets(t, s, "f1")
		rec := childRec(store.Runs, "f1", "big", "e")
		body := bytes.Repeat([]byte(`{"member":"m-0000","state":"Completed"},`), 60000)
		rec.Body = append(append([]byte(`[`), body[:len(body)-1]...), ']')
		must(t, s.Put(ctx, rec, store.Precondition{}))
		got, err := s.Get(ctx, store.Runs, rec.ID)
		must(t, err)
		if !bytes.Equal(got.Body, rec.Body) {
			t.Fatalf("a %d-byte body came back as %d bytes", len(rec.Body), len(got.Body))
		}
	})

	t.Run("ConcurrentCompareAndSetLosesNothing", func(t *testing.T) {
		s := open(t)
		rec := fleetRec("counter", "0")
		must(t, s.Put(ctx, rec, store.Precondition{}))
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for done := 0; done < each; {
					cur, err := s.Get(ctx, store.Fleets, rec.ID)
					if err != nil {
						errs <- err
						return
					}
					var n int
					fmt.Sscanf(cur.ETag, "%d", &n)
					next := cur
					next.ETag = fmt.Sprint(n + 1)
					next.Body = []byte(fmt.Sprintf(`{"n":%d,"by":%d}`, n+1, w))
					switch err := s.Put(ctx, next, store.Precondition{IfMatch: cur.ETag}); {
					case err == nil:
						done++
					case errors.Is(err, store.ErrPreconditionFailed):
					default:
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, store.Fleets, rec.ID)
		must(t, err)
		if got.ETag != fmt.Sprint(workers*each) {
			t.Fatalf("after %d successful compare-and-sets the counter is %s", workers*each, got.ETag)
		}
	})

	t.Run("ClosedStoreRefuses", func(t *testing.T) {
		s := h.New(t)
		must(t, s.Close())
		must(t, s.Close())
		_, err := s.Get(ctx, store.Fleets, fleetRec("f", "").ID)
		if err == nil {
			t.Fatal("Get on a closed store succeeded")
		}
	})

	t.Run("ChildNeedsParent", func(t *testing.T) { childNeedsParent(t, open(t)) })
	t.Run("DeleteRacingChildWritesLeavesNoOrphans", func(t *testing.T) { deleteRacesChildWrites(t, open(t)) })
	t.Run("BadKeysRefusedAlike", func(t *testing.T) { badKeys(t, open(t)) })
	t.Run("HugeBody", func(t *testing.T) { hugeBody(t, open(t)) })
	runParts(t, h, open)

	if h.Reopen != nil {
		t.Run("SurvivesReopen", func(t *testing.T) {
			s := h.New(t)
			rec := childRec(store.Runs, "f1", "r1", "e1")
			rec.State = "Running"
			must(t, s.Put(ctx, fleetRec("f1", "e1"), store.Precondition{}))
			must(t, s.Put(ctx, rec, store.Precondition{}))
			s = h.Reopen(t, s)
			t.Cleanup(func() { s.Close() })
			got, err := s.Get(ctx, store.Runs, rec.ID)
			must(t, err)
			sameRecord(t, got, rec)
			page, err := s.List(ctx, store.ListOptions{Kind: store.Runs, States: []string{"Running"}})
			must(t, err)
			if len(page.Records) != 1 {
				t.Fatalf("after reopening, %d running runs, want 1", len(page.Records))
			}
		})
	}

	t.Run("Leases", func(t *testing.T) { runLeases(t, open) })
	t.Run("ClusterClaims", func(t *testing.T) { runClaims(t, open, h.Reopen) })
}

// putFleets creates fleets for children to live in.
func putFleets(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	for _, n := range names {
		must(t, s.Put(context.Background(), fleetRec(n, "e"), store.Precondition{}))
	}
}

func ids(rs []store.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func sameRecord(t *testing.T, got, want store.Record) {
	t.Helper()
	if got.Kind != want.Kind || got.ID != want.ID || got.Parent != want.Parent || got.ETag != want.ETag || got.State != want.State || !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("stored record differs:\n got %+v (body %s)\nwant %+v (body %s)", got, got.Body, want, want.Body)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}
