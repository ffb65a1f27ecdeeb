package engine

import (
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// Publisher receives the transitions the engine persists; *feed.Feed is
// one. Publish must not block.
type Publisher interface {
	Publish(changes ...feed.Change)
}

// published tells the engine's publisher what changed in the run since
// the last write: called after each write, with the caller whose command
// caused it (feed.Engine otherwise).
func (r *runner) published(etag string, caller feed.Caller) {
	if r.e.cfg.Feed == nil {
		return
	}
	changes, snap := feed.Diff(r.seen, r.rs.run, feed.Change{
		RunID: r.rs.run.ID, Time: r.rs.now, Caller: caller, ETag: etag,
	})
	r.seen = snap
	r.e.cfg.Feed.Publish(changes...)
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

// resetSeen records the run's states as they are, for a run read afresh.
func (r *runner) resetSeen() { r.seen = feed.Take(r.rs.run) }
