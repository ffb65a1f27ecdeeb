// Package events records every transition of an update run, its stages,
// waits, groups and members as a CloudEvents 1.0 JSON event in the
// store's event log, in order, and queues each for the webhook
// subscriptions that want it in the same write. It follows the feed (see
// package feed); when it could not (a server killed between writing a run
// and recording its events, or a subscriber that fell behind), it
// compares each run with the last states its events recorded and records
// what changed meanwhile. Old events are pruned after a retention time.
// docs/observability.md lists the event types.
package events
