// Package client is a typed HTTP client for caravan's Fleet API: fleets,
// members, update strategies and update runs, at the ARM paths caravan
// serves, in the types of package fleet.
//
// Every call takes a context. Resources under a fleet are named by a
// fleet.FleetRef; an empty subscription or resource group in it is filled
// from the client's defaults. Lists follow nextLink to the end. Writes and
// run actions take IfMatch and IfNoneMatch options for optimistic
// concurrency.
//
// Errors the server answers are *Error values carrying the HTTP status and
// the ARM error code and message; a server that cannot be reached at all is
// an *UnreachableError. The CLI turns both into short messages.
package client
