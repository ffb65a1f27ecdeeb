// Package store is the seam between caravan and its database. A Store
// keeps ARM resources (fleets, members, update strategies, update runs) as
// JSON documents with ETags, and writes them with compare-and-set
// preconditions so that no update is ever lost.
//
// No record outlives its parent: a member, strategy or run is written only
// while its fleet exists (ErrParentNotFound otherwise), and deleting a
// record deletes its descendants in the same transaction, serialised with
// those writes. Keys a store cannot hold are refused alike by every
// implementation (InvalidKeyError). A body that does not decode is a
// CorruptError naming the record and the store, never data.
//
// Implementations: memory (tests), sqlite (the default) and postgres (for
// high availability). Every implementation passes storetest.Run.
//
// A store never reads the clock and never makes ids: callers pass the ETag
// each write stores.
package store
