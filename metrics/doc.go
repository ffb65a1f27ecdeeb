// Package metrics is caravan's Prometheus metrics: the update runs by
// state, member upgrades by type and result with their durations, the
// time the engine takes from a member's end to its successor's start, and
// the cloud provider's requests by operation and status code. It reads
// the feed of run changes (see package feed) and the store, and serves
// the Prometheus text format. docs/observability.md lists the metrics.
package metrics
