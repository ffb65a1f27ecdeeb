// Package clustertest is the conformance suite every cluster.Provider
// passes. A provider's test calls Run with a function that builds a fresh
// Env: the provider under test and a Cloud, the small set of hooks the
// suite needs into the cloud behind it (create clusters, make their
// operations take time or fail, run an operation the provider did not
// begin, count the operations begun).
//
// The suite checks what the engine relies on: Describe reports the
// cluster, its pools and what its region offers; each upgrade type, with
// the Latest node image and with pinned images, lands the cluster at the
// target; done is called exactly once; an Upgrade repeated with the same
// operation id begins nothing new; a cluster busy with another operation
// is Busy; downgrades and skipped minor versions are Rejected; a missing
// cluster is NotFound; an operation that fails reports Failed with the
// cloud's code through done.
package clustertest
