-- Claims on clusters: which update run is upgrading which cluster, so that
-- two runs never upgrade one cluster at the same time, whichever servers
-- drive them. A claim stays until its run releases it or the run is no
-- longer live (see store.Claimer); epoch is the run's lease epoch when it
-- last claimed the cluster.
CREATE TABLE caravan_upgrade_claims (
    cluster text COLLATE "C" PRIMARY KEY,
    run     text COLLATE "C" NOT NULL,
    epoch   bigint NOT NULL,
    since   timestamptz NOT NULL
);

-- Finding and releasing the claims of one run.
CREATE INDEX caravan_upgrade_claims_by_run ON caravan_upgrade_claims (run, cluster);
