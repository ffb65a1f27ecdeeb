-- The events of update runs, in the order they were recorded. Times are
-- Unix nanoseconds.
CREATE TABLE caravan_events (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    id    TEXT NOT NULL UNIQUE,
    run   TEXT NOT NULL,
    fleet TEXT NOT NULL,
    type  TEXT NOT NULL,
    time  INTEGER NOT NULL,
    body  BLOB NOT NULL
) STRICT;

-- Listing a run's events in order.
CREATE INDEX caravan_events_by_run ON caravan_events (run, seq);
-- Pruning old events.
CREATE INDEX caravan_events_by_time ON caravan_events (time);

-- The ETag each run had when its last events were recorded, so that a
-- server starting again records what changed while none was recording.
CREATE TABLE caravan_event_cursors (
    run  TEXT NOT NULL PRIMARY KEY,
    etag TEXT NOT NULL
) STRICT;

-- The webhook outbox: one row per event and subscription.
CREATE TABLE caravan_webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL,
    subscription TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_status  INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    delivered_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (subscription, event_id)
) STRICT;

-- Finding the deliveries that are due.
CREATE INDEX caravan_webhook_deliveries_due ON caravan_webhook_deliveries (state, next_attempt, id);
-- Deleting the deliveries of pruned events.
CREATE INDEX caravan_webhook_deliveries_by_event ON caravan_webhook_deliveries (event_id);
