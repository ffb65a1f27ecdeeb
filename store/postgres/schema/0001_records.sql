-- Every resource is one row, keyed by its canonical ARM id. The body is
-- kept as the caller wrote it (bytea, not jsonb, so that it round-trips
-- byte for byte); the other columns are what the store filters, orders and
-- compares on. The "C" collation orders ids byte by byte, the order List
-- promises whatever the database's locale.
CREATE TABLE caravan_records (
    id     text COLLATE "C" PRIMARY KEY,
    kind   text COLLATE "C" NOT NULL,
    parent text COLLATE "C" NOT NULL,
    etag   text COLLATE "C" NOT NULL,
    state  text COLLATE "C" NOT NULL,
    body   bytea NOT NULL
);

-- Listing one kind in id order.
CREATE INDEX caravan_records_by_kind ON caravan_records (kind, id);
-- Listing the members or runs of one fleet in id order, a page at a time,
-- and finding the children of a deleted record.
CREATE INDEX caravan_records_by_parent ON caravan_records (parent, kind, id);
-- Listing the runs in given states (the active ones, at start).
CREATE INDEX caravan_records_by_state ON caravan_records (kind, state, id);

-- Run documents run to megabytes and are rewritten often: compress them
-- with lz4, several times faster than PostgreSQL's default, on servers
-- that have it (PostgreSQL 14 or newer, built with lz4); elsewhere keep
-- the default.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE caravan_records ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
