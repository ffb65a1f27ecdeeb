-- The parts of records kept in parts (see store.PartStore): one row per
-- element of an array of a large document, so that a write changes only
-- the elements that changed. A record's parts go with it. Keys order byte
-- by byte ("C"), the order assembly reads them in.
CREATE TABLE caravan_record_parts (
    id   text COLLATE "C" NOT NULL,
    key  text COLLATE "C" NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (id, key)
);
