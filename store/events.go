package store

import (
	"context"
	"time"
)

// Event is one stored event of an update run: a CloudEvents document and
// the columns the store orders and filters it by.
type Event struct {
	// Seq orders every event the store holds; the store assigns it.
	Seq int64
	// ID is the event's unique id.
	ID string
	// Run and Fleet are canonical ids (see CanonicalID).
	Run, Fleet string
	Type       string
	Time       time.Time
	// Body is the event as JSON.
	Body []byte
}

// Delivery states.
const (
	DeliveryPending   = "Pending"
	DeliveryDelivered = "Delivered"
	DeliveryFailed    = "Failed" // given up after the last attempt
)

// Delivery is one event to send to one webhook subscription: a row of the
// outbox.
type Delivery struct {
	// ID numbers deliveries; the store assigns it.
	ID           int64
	EventID      string
	Subscription string
	State        string
	// Attempts counts the tries made so far.
	Attempts int
	// NextAttempt is when a Pending delivery is due.
	NextAttempt time.Time
	// LastStatus is the HTTP status of the last try, 0 when none came.
	LastStatus int
	LastError  string
	// DeliveredAt is when it was delivered (zero until then).
	DeliveredAt time.Time
	// Event and EventSeq are the event's stored JSON and sequence (read
	// with due deliveries).
	Event    []byte
	EventSeq int64
}

// EventBatch is written in one transaction: events, the deliveries of
// them to webhooks, and the ETag each run had when its events were made.
type EventBatch struct {
	Events     []Event
	Deliveries []Delivery
	// Cursors maps a canonical run id to its ETag; an empty ETag removes
	// the run's cursor.
	Cursors map[string]string
}

// DeliveryFilter chooses deliveries to list; empty fields match all.
type DeliveryFilter struct {
	Subscription string
	State        string
	// After lists deliveries with a greater ID.
	After int64
	Limit int
}

// EventLog keeps update-run events and the webhook outbox. The SQL stores
// implement it beside Store.
type EventLog interface {
	// AppendEvents writes a batch atomically and sets each event's Seq.
	AppendEvents(ctx context.Context, b *EventBatch) error
	// ListEvents returns up to limit events of a run with Seq > after,
	// in order.
	ListEvents(ctx context.Context, run string, after int64, limit int) ([]Event, error)
	// EventCursor returns the ETag the run had at its last recorded
	// events, and false when none is recorded.
	EventCursor(ctx context.Context, run string) (string, bool, error)
	// PruneEvents deletes events older than before, with their
	// deliveries, and returns how many events went.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
	// DueDeliveries returns up to limit Pending deliveries due at now, in
	// ID order, each with its event.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// NextDelivery returns when the earliest Pending delivery is due.
	NextDelivery(ctx context.Context) (time.Time, bool, error)
	// UpdateDelivery records a try: state, attempts, next attempt, last
	// status and error, delivery time.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// ListDeliveries lists deliveries in ID order, without their events.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
}
