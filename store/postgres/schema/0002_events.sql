-- The events of update runs, in the order they were recorded. Times are
-- Unix nanoseconds.
CREATE TABLE caravan_events (
    seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id    text COLLATE "C" NOT NULL UNIQUE,
    run   text COLLATE "C" NOT NULL,
    fleet text COLLATE "C" NOT NULL,
    type  text COLLATE "C" NOT NULL,
    time  bigint NOT NULL,
    body  bytea NOT NULL
);

-- Listing a run's events in order.
CREATE INDEX caravan_events_by_run ON caravan_events (run, seq);
-- Pruning old events.
CREATE INDEX caravan_events_by_time ON caravan_events (time);

-- The ETag each run had when its last events were recorded, so that a
-- server starting again records what changed while none was recording.
CREATE TABLE caravan_event_cursors (
    run  text COLLATE "C" PRIMARY KEY,
    etag text COLLATE "C" NOT NULL
);

-- The webhook outbox: one row per event and subscription.
CREATE TABLE caravan_webhook_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text COLLATE "C" NOT NULL,
    subscription text COLLATE "C" NOT NULL,
    state        text COLLATE "C" NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt bigint NOT NULL,
    last_status  integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    delivered_at bigint NOT NULL DEFAULT 0,
    UNIQUE (subscription, event_id)
);

-- Finding the deliveries that are due.
CREATE INDEX caravan_webhook_deliveries_due ON caravan_webhook_deliveries (state, next_attempt, id);
-- Deleting the deliveries of pruned events.
CREATE INDEX caravan_webhook_deliveries_by_event ON caravan_webhook_deliveries (event_id);
