package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// runParts checks stores that keep records in parts (store.PartStore):
// Get and List assemble the document; a write changes the parts it names
// and the record, in one transaction guarded by the record's ETag.
func runParts(t *testing.T, h Harness, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	probe := h.New(t)
	_, ok := probe.(store.PartStore)
	probe.Close()
	if !ok {
		return
	}
	// setup stores a fleet and a run in it, plainly, with ETag e0.
	setup := func(t *testing.T, s store.Store) store.Record {
		must(t, s.Put(ctx, fleetRec("f1", "e"), store.Precondition{}))
		rec := childRec(store.Runs, "f1", "r1", "e0")
		rec.State = "Running"
		must(t, s.Put(ctx, rec, store.Precondition{}))
		return rec
	}
	summary := func(rec store.Record, etag, state string) store.Record {
		rec.ETag, rec.State = etag, state
		rec.Body = append(append([]byte(`{"name":"r1","stages":`), store.PartsRef("s")...), '}')
		return rec
	}
	stage := func(i string) []byte {
		return append(append([]byte(`{"n":`+i+`,"members":`), store.PartsRef("s/"+i+"/m")...), '}')
	}
	tree := []store.Part{
		{Key: "s/0", Body: stage("0")},
		{Key: "s/0/m/0", Body: []byte(`"a"`)},
		{Key: "s/0/m/1", Body: []byte(`"b"`)},
		{Key: "s/1", Body: stage("1")},
	}
	const whole = `{"name":"r1","stages":[{"n":0,"members":["a","b"]},{"n":1,"members":[]}]}`
	wantBody := func(t *testing.T, s store.Store, id, etag, body string) {
		t.Helper()
		got, err := s.Get(ctx, store.Runs, id)
		must(t, err)
		if got.ETag != etag || string(got.Body) != body {
			t.Fatalf("Get: ETag %s, body %s\nwant ETag %s, body %s", got.ETag, got.Body, etag, body)
		}
		page, err := s.List(ctx, store.ListOptions{Kind: store.Runs})
		must(t, err)
		if len(page.Records) != 1 || page.Records[0].ETag != etag || string(page.Records[0].Body) != body {
			t.Fatalf("List: %d records, first %+v; want the one with ETag %s and body %s", len(page.Records), page.Records, etag, body)
		}
	}

	t.Run("PartsAssemble", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		ps := s.(store.PartStore)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		wantBody(t, s, rec.ID, "e1", whole)
		// Only one member and the summary change.
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e2", "Completed"), Parts: []store.Part{{Key: "s/0/m/1", Body: []byte(`"B"`)}}}, store.Precondition{IfMatch: "e1"}))
		wantBody(t, s, rec.ID, "e2", `{"name":"r1","stages":[{"n":0,"members":["a","B"]},{"n":1,"members":[]}]}`)
		page, err := s.List(ctx, store.ListOptions{Kind: store.Runs, States: []string{"Completed"}})
		must(t, err)
		if len(page.Records) != 1 {
			t.Fatalf("%d runs listed as Completed, want 1", len(page.Records))
		}
	})

	t.Run("PartsStaleETagWritesNothing", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		ps := s.(store.PartStore)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		err := ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e9", "Failed"), Parts: []store.Part{{Key: "s/0/m/0", Body: []byte(`"z"`)}}}, store.Precondition{IfMatch: "e0"})
		wantErr(t, err, store.ErrPreconditionFailed)
		wantBody(t, s, rec.ID, "e1", whole)
		err = ps.PutParts(ctx, store.PartedWrite{Record: summary(childRec(store.Runs, "f1", "nope", ""), "e1", "")}, store.Precondition{IfMatch: "e0"})
		wantErr(t, err, store.ErrPreconditionFailed)
		if err := ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e3", "")}, store.Precondition{IfMatch: "*"}); err == nil || errors.Is(err, store.ErrPreconditionFailed) {
			t.Fatalf("PutParts without an ETag to match: error %v, want one that says an ETag is needed", err)
		}
	})

	t.Run("PartsReset", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		ps := s.(store.PartStore)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e2", "Running"), Parts: tree[3:], Reset: true}, store.Precondition{IfMatch: "e1"}))
		wantBody(t, s, rec.ID, "e2", `{"name":"r1","stages":[{"n":1,"members":[]}]}`)
		// A plain Put replaces the document whole.
		plain := rec
		plain.ETag, plain.Body = "e3", []byte(`{"name":"r1","plain":true}`)
		must(t, s.Put(ctx, plain, store.Precondition{IfMatch: "e2"}))
		wantBody(t, s, rec.ID, "e3", string(plain.Body))
	})

	t.Run("PartsGoWithTheRecord", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		ps := s.(store.PartStore)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		must(t, s.Delete(ctx, store.Fleets, fleetRec("f1", "").ID, store.Precondition{}))
		rec = setup(t, s)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: []store.Part{{Key: "s/7", Body: []byte(`{}`)}}}, store.Precondition{IfMatch: "e0"}))
		wantBody(t, s, rec.ID, "e1", `{"name":"r1","stages":[{}]}`)
	})

	t.Run("PartsOneWriterWins", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		ps := s.(store.PartStore)
		must(t, ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		const writers = 8
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := []byte{'"', byte('c' + i), '"'}
				errs[i] = ps.PutParts(ctx, store.PartedWrite{Record: summary(rec, string(body[1:2]), "Running"), Parts: []store.Part{{Key: "s/0/m/0", Body: body}}}, store.Precondition{IfMatch: "e1"})
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("writers %d and %d both replaced ETag e1", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrPreconditionFailed):
				t.Fatal(err)
			}
		}
		if won < 0 {
			t.Fatal("no writer replaced ETag e1")
		}
		got, err := s.Get(ctx, store.Runs, rec.ID)
		must(t, err)
		want := []byte(`["` + string(rune('c'+won)) + `","b"]`)
		if !bytes.Contains(got.Body, want) || got.ETag != string(rune('c'+won)) {
			t.Fatalf("after the race, ETag %s and body %s; want writer %d's part %s", got.ETag, got.Body, won, want)
		}
	})

	t.Run("PartsFencedByTheLease", func(t *testing.T) {
		s := open(t)
		pl, ok := s.(store.PartLeaser)
		if !ok {
			t.Skip("the store has no leases")
		}
		leaser := s.(store.Leaser)
		rec := setup(t, s)
		a, err := leaser.AcquireLease(ctx, rec.ID, "server-a", time.Hour)
		must(t, err)
		must(t, pl.PutPartsLeased(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}, a))
		wantBody(t, s, rec.ID, "e1", whole)
		// The ETag still guards a fenced write.
		stale := store.PartedWrite{Record: summary(rec, "e9", "Failed"), Parts: []store.Part{{Key: "s/0/m/0", Body: []byte(`"z"`)}}}
		wantErr(t, pl.PutPartsLeased(ctx, stale, store.Precondition{IfMatch: "e0"}, a), store.ErrPreconditionFailed)
		wantBody(t, s, rec.ID, "e1", whole)
		// The lease passes to another server; the first, unaware, writes
		// a part and the record: nothing is written.
		must(t, leaser.ReleaseLease(ctx, a))
		b, err := leaser.AcquireLease(ctx, rec.ID, "server-b", time.Hour)
		must(t, err)
		old := store.PartedWrite{Record: summary(rec, "e2", "Failed"), Parts: []store.Part{{Key: "s/0/m/0", Body: []byte(`"old"`)}, {Key: "s/2", Body: []byte(`{}`)}}}
		wantErr(t, pl.PutPartsLeased(ctx, old, store.Precondition{IfMatch: "e1"}, a), store.ErrLeaseLost)
		wantBody(t, s, rec.ID, "e1", whole)
		// A reset by the old owner drops nothing either.
		reset := store.PartedWrite{Record: summary(rec, "e2", "Failed"), Reset: true}
		wantErr(t, pl.PutPartsLeased(ctx, reset, store.Precondition{IfMatch: "e1"}, a), store.ErrLeaseLost)
		wantBody(t, s, rec.ID, "e1", whole)
		// The new owner writes only the part that changed.
		must(t, pl.PutPartsLeased(ctx, store.PartedWrite{Record: summary(rec, "e2", "Running"), Parts: []store.Part{{Key: "s/0/m/1", Body: []byte(`"B"`)}}}, store.Precondition{IfMatch: "e1"}, b))
		wantBody(t, s, rec.ID, "e2", `{"name":"r1","stages":[{"n":0,"members":["a","B"]},{"n":1,"members":[]}]}`)
	})

	t.Run("PartsFencedByAnExpiredLease", func(t *testing.T) {
		s := open(t)
		pl, ok := s.(store.PartLeaser)
		if !ok {
			t.Skip("the store has no leases")
		}
		leaser := s.(store.Leaser)
		rec := setup(t, s)
		must(t, s.(store.PartStore).PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
		a, err := leaser.AcquireLease(ctx, rec.ID, "server-a", 100*time.Millisecond)
		must(t, err)
		// Wait, by the store's clock, for the lease to end with no one
		// taking it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			listed, _, err := leaser.Leases(ctx, rec.ID)
			must(t, err)
			if len(listed) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a 100ms lease is still listed after 10s: %+v", listed)
			}
			time.Sleep(10 * time.Millisecond)
		}
		w := store.PartedWrite{Record: summary(rec, "e2", "Failed"), Parts: []store.Part{{Key: "s/0/m/0", Body: []byte(`"late"`)}}}
		wantErr(t, pl.PutPartsLeased(ctx, w, store.Precondition{IfMatch: "e1"}, a), store.ErrLeaseLost)
		wantBody(t, s, rec.ID, "e1", whole)
	})

	t.Run("PartKeysChecked", func(t *testing.T) {
		s := open(t)
		rec := setup(t, s)
		err := s.(store.PartStore).PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", ""), Parts: []store.Part{{Key: `s/"0`, Body: []byte(`1`)}}}, store.Precondition{IfMatch: "e0"})
		if err == nil {
			t.Fatal(`a part key holding '"' was accepted`)
		}
	})

	if h.Reopen != nil {
		t.Run("PartsSurviveReopen", func(t *testing.T) {
			s := h.New(t)
			rec := setup(t, s)
			must(t, s.(store.PartStore).PutParts(ctx, store.PartedWrite{Record: summary(rec, "e1", "Running"), Parts: tree, Reset: true}, store.Precondition{IfMatch: "e0"}))
			s = h.Reopen(t, s)
			t.Cleanup(func() { s.Close() })
			wantBody(t, s, rec.ID, "e1", whole)
		})
	}
}
