// Package postgres is the store.Store for running several caravan servers
// on one PostgreSQL database, through pgx's connection pool.
//
// Every write is a single conditional statement (or, for a delete, one
// transaction), so compare-and-set holds across servers: of two servers
// writing over the same ETag, one wins and the other gets
// store.ErrPreconditionFailed. Bodies are stored as bytea, byte for byte.
//
// The schema is versioned (see package migrate); Open brings an older
// database up to date under an advisory lock, so servers starting together
// migrate once, and refuses a database written by a newer caravan. Tables
// are created in the first schema of the connection's search_path.
package postgres
