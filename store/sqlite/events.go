package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/store"
)

var _ store.EventLog = (*Store)(nil)

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// AppendEvents implements store.EventLog.
func (s *Store) AppendEvents(ctx context.Context, b *store.EventBatch) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return s.batch.do(ctx, func(ctx context.Context, tx *txn) error {
		for rest := b.Events; len(rest) > 0; {
			n := eventRows(len(rest))
			if err := insertEvents(ctx, tx, rest[:n]); err != nil {
				return s.fail(err, "recording events")
			}
			rest = rest[n:]
		}
		for _, d := range b.Deliveries {
			_, err := tx.ExecContext(ctx, `INSERT INTO caravan_webhook_deliveries (event_id, subscription, state, next_attempt) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING`,
				d.EventID, d.Subscription, store.DeliveryPending, nanos(d.NextAttempt))
			if err != nil {
				return s.fail(err, "queueing event %s for webhook %s", d.EventID, d.Subscription)
			}
		}
		for run, etag := range b.Cursors {
			var err error
			if etag == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM caravan_event_cursors WHERE run = ?1`, run)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO caravan_event_cursors (run, etag) VALUES (?1, ?2) ON CONFLICT (run) DO UPDATE SET etag = excluded.etag`, run, etag)
			}
			if err != nil {
				return s.fail(err, "recording the event cursor of %s", run)
			}
		}
		return nil
	}, func(err error) error { return s.fail(err, "recording events") })
}

// Events are inserted several rows to a statement, in statements of a few
// fixed sizes, largest first (so that each is prepared once): a batch of
// events costs a few statements, not one per event.
var eventRowCounts = []int{64, 8, 1}

var eventStatements = func() map[int]string {
	out := map[int]string{}
	for _, n := range eventRowCounts {
		out[n] = `INSERT INTO caravan_events (id, run, fleet, type, time, body) VALUES (?, ?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, n-1) + ` RETURNING id, seq`
	}
	return out
}()

// eventRows is how many of left events the next statement inserts.
func eventRows(left int) int {
	for _, n := range eventRowCounts {
		if left >= n {
			return n
		}
	}
	return 1
}

// insertEvents inserts events in one statement and sets their Seq.
func insertEvents(ctx context.Context, tx *txn, events []store.Event) error {
	args := make([]any, 0, 6*len(events))
	at := make(map[string]*store.Event, len(events))
	for i := range events {
		e := &events[i]
		args = append(args, e.ID, e.Run, e.Fleet, e.Type, nanos(e.Time), e.Body)
		at[e.ID] = e
	}
	rows, err := tx.QueryContext(ctx, eventStatements[len(events)], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return err
		}
		if e := at[id]; e != nil {
			e.Seq = seq
			n++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != len(events) {
		return fmt.Errorf("%d events inserted, %d sequence numbers returned", len(events), n)
	}
	return nil
}

// ListEvents implements store.EventLog.
func (s *Store) ListEvents(ctx context.Context, run string, after int64, limit int) ([]store.Event, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT seq, id, run, fleet, type, time, body FROM caravan_events WHERE run = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3`, run, after, limit)
	if err != nil {
		return nil, s.fail(err, "listing the events of %s", run)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var t int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.Run, &e.Fleet, &e.Type, &t, &e.Body); err != nil {
			return nil, s.fail(err, "listing the events of %s", run)
		}
		e.Time = fromNanos(t)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "listing the events of %s", run)
	}
	return out, nil
}

// EventCursor implements store.EventLog.
func (s *Store) EventCursor(ctx context.Context, run string) (string, bool, error) {
	if s.closed.Load() {
		return "", false, store.ErrClosed
	}
	var etag string
	err := s.reader.QueryRowContext(ctx, `SELECT etag FROM caravan_event_cursors WHERE run = ?1`, run).Scan(&etag)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, s.fail(err, "reading the event cursor of %s", run)
	}
	return etag, true, nil
}

// PruneEvents implements store.EventLog.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.fail(err, "pruning events")
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM caravan_webhook_deliveries WHERE event_id IN (SELECT id FROM caravan_events WHERE time < ?1)`, before.UnixNano()); err != nil {
		return 0, s.fail(err, "pruning webhook deliveries")
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM caravan_events WHERE time < ?1`, before.UnixNano())
	if err != nil {
		return 0, s.fail(err, "pruning events")
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, s.fail(err, "pruning events")
	}
	return n, nil
}

// DueDeliveries implements store.EventLog.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT d.id, d.event_id, d.subscription, d.state, d.attempts, d.next_attempt, d.last_status, d.last_error, d.delivered_at, e.body, e.seq
		FROM caravan_webhook_deliveries d JOIN caravan_events e ON e.id = d.event_id
		WHERE d.state = ?1 AND d.next_attempt <= ?2 ORDER BY d.id LIMIT ?3`, store.DeliveryPending, now.UnixNano(), limit)
	if err != nil {
		return nil, s.fail(err, "reading due webhook deliveries")
	}
	return scanDeliveries(rows, true, s)
}

func scanDeliveries(rows *sql.Rows, withEvent bool, s *Store) ([]store.Delivery, error) {
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var d store.Delivery
		var next, delivered int64
		dest := []any{&d.ID, &d.EventID, &d.Subscription, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &delivered}
		if withEvent {
			dest = append(dest, &d.Event, &d.EventSeq)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, s.fail(err, "reading webhook deliveries")
		}
		d.NextAttempt, d.DeliveredAt = fromNanos(next), fromNanos(delivered)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err, "reading webhook deliveries")
	}
	return out, nil
}

// NextDelivery implements store.EventLog.
func (s *Store) NextDelivery(ctx context.Context) (time.Time, bool, error) {
	if s.closed.Load() {
		return time.Time{}, false, store.ErrClosed
	}
	var next sql.NullInt64
	err := s.reader.QueryRowContext(ctx, `SELECT MIN(next_attempt) FROM caravan_webhook_deliveries WHERE state = ?1`, store.DeliveryPending).Scan(&next)
	if err != nil {
		return time.Time{}, false, s.fail(err, "reading the next webhook delivery")
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64).UTC(), true, nil
}

// UpdateDelivery implements store.EventLog.
func (s *Store) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	_, err := s.writer.ExecContext(ctx, `UPDATE caravan_webhook_deliveries SET state = ?2, attempts = ?3, next_attempt = ?4, last_status = ?5, last_error = ?6, delivered_at = ?7 WHERE id = ?1`,
		d.ID, d.State, d.Attempts, nanos(d.NextAttempt), d.LastStatus, d.LastError, nanos(d.DeliveredAt))
	if err != nil {
		return s.fail(err, "recording webhook delivery %d", d.ID)
	}
	return nil
}

// ListDeliveries implements store.EventLog.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, event_id, subscription, state, attempts, next_attempt, last_status, last_error, delivered_at
		FROM caravan_webhook_deliveries WHERE (?1 = '' OR subscription = ?1) AND (?2 = '' OR state = ?2) AND id > ?3 ORDER BY id LIMIT ?4`,
		f.Subscription, f.State, f.After, f.Limit)
	if err != nil {
		return nil, s.fail(err, "listing webhook deliveries")
	}
	return scanDeliveries(rows, false, s)
}
