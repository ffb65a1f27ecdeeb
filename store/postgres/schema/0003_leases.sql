-- Leases: which server drives which update run, and which servers are
-- alive. Expiry is by the database's clock; epoch grows by one with every
-- new owner and fences the owner's writes.
CREATE TABLE caravan_leases (
    name    text COLLATE "C" PRIMARY KEY,
    owner   text COLLATE "C" NOT NULL,
    epoch   bigint NOT NULL,
    expires timestamptz NOT NULL
);
