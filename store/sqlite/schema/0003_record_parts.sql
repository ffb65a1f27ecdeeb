-- The parts of records kept in parts (see store.PartStore): one row per
-- element of an array of a large document, so that a write changes only
-- the elements that changed. A record's parts go with it.
CREATE TABLE caravan_record_parts (
    id   TEXT NOT NULL,
    key  TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (id, key)
) WITHOUT ROWID;
