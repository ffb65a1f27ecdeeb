package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// RunEventLog checks an event log: events in order with their sequence,
// cursors, the webhook outbox and pruning. newLog returns an empty log.
func RunEventLog(t *testing.T, newLog func(t *testing.T) store.EventLog) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	ev := func(id, run string, at time.Time) store.Event {
		return store.Event{ID: id, Run: run, Fleet: "/f", Type: "dev.caravan.test", Time: at, Body: []byte(`{"id":"` + id + `"}`)}
	}

	t.Run("LargeBatchInOrder", func(t *testing.T) {
		l := newLog(t)
		// Ids that sort against the order of the batch.
		b := &store.EventBatch{}
		var want []string
		for i := range 75 {
			id := fmt.Sprintf("e%03d", 100-i)
			b.Events = append(b.Events, ev(id, "/r1", t0.Add(time.Duration(i)*time.Millisecond)))
			want = append(want, id)
		}
		must(t, l.AppendEvents(ctx, b))
		for i := 1; i < len(b.Events); i++ {
			if b.Events[i].Seq <= b.Events[i-1].Seq {
				t.Fatalf("event %d has sequence %d after %d: want sequences increasing in the batch's order", i, b.Events[i].Seq, b.Events[i-1].Seq)
			}
		}
		got, err := l.ListEvents(ctx, "/r1", 0, 100)
		must(t, err)
		if fmt.Sprint(eventIDs(got)) != fmt.Sprint(want) {
			t.Fatalf("events read back %v, want the batch's order %v", eventIDs(got), want)
		}
		for i, e := range got {
			if e.Seq != b.Events[i].Seq {
				t.Fatalf("event %s read back with sequence %d, appended with %d", e.ID, e.Seq, b.Events[i].Seq)
			}
		}
	})

	t.Run("EventsInOrder", func(t *testing.T) {
		l := newLog(t)
		b := &store.EventBatch{Events: []store.Event{ev("a", "/r1", t0), ev("b", "/r2", t0), ev("c", "/r1", t0.Add(time.Second))}, Cursors: map[string]string{"/r1": "e1"}}
		must(t, l.AppendEvents(ctx, b))
		if !(b.Events[0].Seq < b.Events[1].Seq && b.Events[1].Seq < b.Events[2].Seq) {
			t.Fatalf("sequences %d %d %d, want increasing", b.Events[0].Seq, b.Events[1].Seq, b.Events[2].Seq)
		}
		must(t, l.AppendEvents(ctx, &store.EventBatch{Events: []store.Event{ev("d", "/r1", t0.Add(2*time.Second))}}))
		got, err := l.ListEvents(ctx, "/r1", 0, 10)
		must(t, err)
		if fmt.Sprint(eventIDs(got)) != "[a c d]" {
			t.Fatalf("events of r1 %v, want [a c d]", eventIDs(got))
		}
		if !got[1].Time.Equal(t0.Add(time.Second)) || string(got[1].Body) != `{"id":"c"}` || got[1].Fleet != "/f" || got[1].Type != "dev.caravan.test" {
			t.Fatalf("event c read back as %+v", got[1])
		}
		page, err := l.ListEvents(ctx, "/r1", got[0].Seq, 1)
		must(t, err)
		if fmt.Sprint(eventIDs(page)) != "[c]" {
			t.Fatalf("page after a, limit 1: %v", eventIDs(page))
		}
		etag, ok, err := l.EventCursor(ctx, "/r1")
		must(t, err)
		if !ok || etag != "e1" {
			t.Fatalf("cursor of r1 %q %v, want e1", etag, ok)
		}
		must(t, l.AppendEvents(ctx, &store.EventBatch{Cursors: map[string]string{"/r1": "e2", "/r2": "x"}}))
		if etag, _, _ := l.EventCursor(ctx, "/r1"); etag != "e2" {
			t.Fatalf("cursor of r1 %q after an update, want e2", etag)
		}
		must(t, l.AppendEvents(ctx, &store.EventBatch{Cursors: map[string]string{"/r2": ""}}))
		if _, ok, _ := l.EventCursor(ctx, "/r2"); ok {
			t.Fatal("cursor of r2 still there after its removal")
		}
		if err := l.AppendEvents(ctx, &store.EventBatch{Events: []store.Event{ev("x", "/r1", t0), ev("a", "/r1", t0)}}); err == nil {
			t.Fatal("a repeated event id was accepted")
		}
		if got, _ := l.ListEvents(ctx, "/r1", 0, 10); len(got) != 3 {
			t.Fatalf("a failed batch left %d events of r1, want 3: a batch is all or nothing", len(got))
		}
	})

	t.Run("Outbox", func(t *testing.T) {
		l := newLog(t)
		must(t, l.AppendEvents(ctx, &store.EventBatch{
			Events: []store.Event{ev("a", "/r", t0), ev("b", "/r", t0)},
			Deliveries: []store.Delivery{
				{EventID: "a", Subscription: "s1", NextAttempt: t0},
				{EventID: "a", Subscription: "s2", NextAttempt: t0.Add(time.Minute)},
				{EventID: "b", Subscription: "s1", NextAttempt: t0},
				{EventID: "b", Subscription: "s1", NextAttempt: t0}, // a repeat is ignored
			},
		}))
		due, err := l.DueDeliveries(ctx, t0, 10)
		must(t, err)
		if len(due) != 2 || due[0].EventID != "a" || due[1].EventID != "b" || string(due[0].Event) != `{"id":"a"}` || due[0].EventSeq == 0 || due[0].State != store.DeliveryPending {
			t.Fatalf("due at t0: %+v", due)
		}
		next, ok, err := l.NextDelivery(ctx)
		must(t, err)
		if !ok || !next.Equal(t0) {
			t.Fatalf("next delivery %v %v, want %v", next, ok, t0)
		}
		d := due[0]
		d.State, d.Attempts, d.LastStatus, d.DeliveredAt = store.DeliveryDelivered, 1, 204, t0.Add(time.Second)
		must(t, l.UpdateDelivery(ctx, d))
		d = due[1]
		d.Attempts, d.LastStatus, d.LastError, d.NextAttempt = 1, 503, "Service Unavailable", t0.Add(2*time.Minute)
		must(t, l.UpdateDelivery(ctx, d))
		if due, _ := l.DueDeliveries(ctx, t0.Add(time.Minute), 10); len(due) != 1 || due[0].Subscription != "s2" {
			t.Fatalf("due a minute on: %+v, want s2's", due)
		}
		all, err := l.ListDeliveries(ctx, store.DeliveryFilter{})
		must(t, err)
		if len(all) != 3 {
			t.Fatalf("%d deliveries, want 3", len(all))
		}
		got, err := l.ListDeliveries(ctx, store.DeliveryFilter{Subscription: "s1", State: store.DeliveryPending})
		must(t, err)
		if len(got) != 1 || got[0].EventID != "b" || got[0].LastStatus != 503 || got[0].LastError != "Service Unavailable" || got[0].Attempts != 1 || !got[0].NextAttempt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("s1's pending deliveries %+v", got)
		}
		got, _ = l.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered})
		if len(got) != 1 || !got[0].DeliveredAt.Equal(t0.Add(time.Second)) {
			t.Fatalf("delivered %+v", got)
		}
		if got, _ := l.ListDeliveries(ctx, store.DeliveryFilter{After: all[0].ID, Limit: 1}); len(got) != 1 || got[0].ID != all[1].ID {
			t.Fatalf("page after the first delivery: %+v", got)
		}
	})

	t.Run("Prune", func(t *testing.T) {
		l := newLog(t)
		must(t, l.AppendEvents(ctx, &store.EventBatch{
			Events:     []store.Event{ev("old", "/r", t0), ev("new", "/r", t0.Add(time.Hour))},
			Deliveries: []store.Delivery{{EventID: "old", Subscription: "s", NextAttempt: t0}, {EventID: "new", Subscription: "s", NextAttempt: t0}},
		}))
		n, err := l.PruneEvents(ctx, t0.Add(time.Minute))
		must(t, err)
		if n != 1 {
			t.Fatalf("pruned %d events, want 1", n)
		}
		if got, _ := l.ListEvents(ctx, "/r", 0, 10); fmt.Sprint(eventIDs(got)) != "[new]" {
			t.Fatalf("events left %v", eventIDs(got))
		}
		if got, _ := l.ListDeliveries(ctx, store.DeliveryFilter{}); len(got) != 1 || got[0].EventID != "new" {
			t.Fatalf("deliveries left %+v", got)
		}
	})
}

func eventIDs(es []store.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}
