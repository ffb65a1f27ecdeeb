// Package migrate applies a store's versioned schema migrations.
//
// A store ships its schema as numbered SQL files (0001_records.sql,
// 0002_…) embedded in the binary. At open, Apply runs the ones the database
// has not seen yet, in order, inside the caller's transaction, and records
// each in the database's schema-version table. A database whose recorded
// version is newer than the newest migration the binary carries is refused
// with a TooNewError: an older caravan must not write to a schema it does
// not understand.
package migrate
