-- Claims on clusters: which update run is upgrading which cluster (see
-- store.Claimer). They are kept in the database so that, when the server
-- starts again, the runs it resumes find the clusters their begun
-- upgrades hold still theirs. since is Unix nanoseconds.
CREATE TABLE caravan_upgrade_claims (
    cluster TEXT NOT NULL PRIMARY KEY,
    run     TEXT NOT NULL,
    epoch   INTEGER NOT NULL,
    since   INTEGER NOT NULL
) STRICT;

-- Finding and releasing the claims of one run.
CREATE INDEX caravan_upgrade_claims_by_run ON caravan_upgrade_claims (run, cluster);
