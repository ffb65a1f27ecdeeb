// Package engine executes update runs: stages one after another with their
// waits, groups in parallel, members one (or maxConcurrency) at a time,
// with stop, start, skip, failures and node image selection as
// docs/engine.md describes.
//
// The decisions are pure: a runState holds one run's status tree and the
// facts that live only in memory (members being inspected, when a Pending
// member is checked again), events change it, and step returns what to do
// next. Parents are derived from their children by one table (derive.go),
// and a member whose upgrade reported success is completed only once its
// cluster, read again, shows the target (verify.go). The runner applies them in a thin layer: it persists every change
// through the store before the side effects it leads to in the cloud
// (beginning an upgrade; a change that leads only to reading clusters is
// written with the change those reads lead to), so that a restarted engine
// resumes each Running or Stopping run and re-attaches to the operations
// it recorded.
package engine
