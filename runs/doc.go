// Package runs says what an update run will do before it does it: the
// preflight checks that a run's target exists in the cloud's catalogs and
// that each member can legally reach it, and the plan that shows, member
// by member in the order the run takes them, the version each moves from
// and to, the image each node pool ends with, and why a member will wait
// or be skipped.
//
// Everything here is pure: it works on the run and on what the provider
// observed of each member's cluster, passed in as data.
package runs
