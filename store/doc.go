// Package store is the seam between caravan and its database. A Store
// keeps ARM resources (fleets, members, update strategies, update runs) as
// JSON documents with ETags, and writes them with compare-and-set
// preconditions so that no update is ever lost.
//
// Implementations: memory (tests), sqlite (the default) and postgres (for
// high availability). Every implementation passes storetest.Run.
//
// A store never reads the clock and never makes ids: callers pass the ETag
// each write stores.
package store
