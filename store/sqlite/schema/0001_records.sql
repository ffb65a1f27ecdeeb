-- Every resource is one row, keyed by its canonical ARM id. The body is
-- kept as the caller wrote it; the other columns are what the store
-- filters, orders and compares on.
CREATE TABLE caravan_records (
    id     TEXT NOT NULL PRIMARY KEY,
    kind   TEXT NOT NULL,
    parent TEXT NOT NULL,
    etag   TEXT NOT NULL,
    state  TEXT NOT NULL,
    body   BLOB NOT NULL
) STRICT;

-- Listing one kind in id order.
CREATE INDEX caravan_records_by_kind ON caravan_records (kind, id);
-- Listing the members or runs of one fleet in id order, a page at a time,
-- and finding the children of a deleted record.
CREATE INDEX caravan_records_by_parent ON caravan_records (parent, kind, id);
-- Listing the runs in given states (the active ones, at start).
CREATE INDEX caravan_records_by_state ON caravan_records (kind, state, id);
