-- Claims in one B-tree. A claim is taken and released at every member's
-- upgrade, and every commit that does so writes each B-tree's page it
-- touched to the write-ahead log: the table, the index SQLite keeps for
-- its primary key, and the index by run made three pages a claim. Kept
-- WITHOUT ROWID, the table is its primary key's index; the claims of one
-- run (found when a run ends or changes owner, rarely, among at most as
-- many claims as clusters being upgraded) are found by reading them all.
CREATE TABLE caravan_upgrade_claims_by_cluster (
    cluster TEXT NOT NULL PRIMARY KEY,
    run     TEXT NOT NULL,
    epoch   INTEGER NOT NULL,
    since   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO caravan_upgrade_claims_by_cluster (cluster, run, epoch, since)
    SELECT cluster, run, epoch, since FROM caravan_upgrade_claims;

DROP TABLE caravan_upgrade_claims;

ALTER TABLE caravan_upgrade_claims_by_cluster RENAME TO caravan_upgrade_claims;
