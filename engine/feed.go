package engine

import (
	"fmt"
	"reflect"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// Publisher receives the transitions the engine persists, with the ETag
// of each write; *feed.Feed is one. Wrote must not block.
type Publisher interface {
	Wrote(runID, etag string, changes ...feed.Change)
}

// published tells the engine's publisher what changed in the run since
// the last write: called after each write, with the caller whose command
// caused it (feed.Engine otherwise).
func (r *runner) published(etag string, caller feed.Caller) {
	if r.e.cfg.Feed == nil {
		return
	}
	// Only the groups whose members changed since the last write are
	// compared member by member (see touchGroup); a run read afresh is
	// compared whole.
	var unchanged func(si, gi int) bool
	if rs := r.rs; r.seenOf == rs && !rs.feedAll {
		unchanged = func(si, gi int) bool { return !rs.feedGroups[[2]int{si, gi}] }
	}
	changes, snap := feed.DiffGroups(r.seen, r.rs.run, feed.Change{
		RunID: r.rs.run.ID, Time: r.rs.now, Caller: caller, ETag: etag,
	}, unchanged)
	r.seen = snap
	r.seenOf = r.rs
	clear(r.rs.feedGroups)
	r.rs.feedAll = false
	if checkEncoding && !reflect.DeepEqual(snap, feed.Take(r.rs.run)) {
		panic(fmt.Sprintf("engine: update run %s: the states published differ from the run's: a change of a member did not call touchMember", r.rs.run.ID))
	}
	r.e.cfg.Feed.Wrote(r.rs.run.ID, etag, changes...)
	for _, c := range changes {
		r.logChange(c)
	}
}

// logChange writes a structured log line for a transition.
func (r *runner) logChange(c feed.Change) {
	args := []any{"run", c.RunName(), "fleet", c.FleetName(), "kind", string(c.Kind), "path", c.Path,
		"from", string(c.Old), "to", string(c.New), "caller", c.Caller.Name}
	if c.Caller.Role != "" {
		args = append(args, "role", c.Caller.Role)
	}
	if c.Message != "" {
		args = append(args, "message", c.Message)
	}
	if c.New == fleet.Failed {
		r.e.log.Warn("update run transition", args...)
		return
	}
	r.e.log.Info("update run transition", args...)
}

// resetSeen records the run's states as they are, for a run read afresh,
// and tells the publisher the ETag it was read with.
func (r *runner) resetSeen() {
	r.seen = feed.Take(r.rs.run)
	r.seenOf = r.rs
	clear(r.rs.feedGroups)
	r.rs.feedAll = false
	if r.e.cfg.Feed != nil {
		r.e.cfg.Feed.Wrote(r.rs.run.ID, r.rs.etag)
	}
}
