// Package sqlite is the store.Store caravan uses by default: one SQLite
// file (plus SQLite's -wal and -shm files next to it) in the data
// directory, through the pure-Go modernc.org/sqlite driver.
//
// The database runs in WAL mode with synchronous=NORMAL: a committed write
// survives the caravan process being killed, and readers never wait for
// the writer. Writes go through a single connection, as SQLite allows one
// writer at a time; reads use a small pool of read-only connections.
// Both keep their statements prepared (see prepared.go), and the frequent
// writes are committed in groups (see batch.go).
// Bodies are stored as BLOBs, byte for byte.
//
// The schema is versioned (see package migrate); Open brings an older
// file up to date and refuses one written by a newer caravan.
package sqlite
