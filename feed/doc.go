// Package feed is the one feed of what happened to update runs: every
// persisted transition of a run, stage, after-stage wait, group, member
// (and gate) as a typed Change, published by the engine after it writes a
// run and by the API for the runs it creates and deletes.
//
// Subscribers (the event log, metrics, webhooks, the dashboard's live
// updates) subscribe with a context and a Filter (one run, one fleet, or
// everything). Publishing never blocks: each subscription has a bounded
// buffer, and a subscriber that falls behind loses what it had not read
// and receives a Change of kind Resync instead, telling it to read the
// state it needs afresh.
package feed
