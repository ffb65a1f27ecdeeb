package api

import (
	"context"
	"net/http"
	"time"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// Publisher receives the runs the API creates and deletes; *feed.Feed is
// one. Wrote must not block.
type Publisher interface {
	// Wrote publishes the changes of a write of a run, and its ETag.
	Wrote(runID, etag string, changes ...feed.Change)
	// WaitWritten waits until the write that gave a run etag has been
	// published.
	WaitWritten(ctx context.Context, runID, etag string)
}

// maxPublishWait bounds how long a deletion waits for the engine to
// publish the run's last write, so that the deletion comes after it.
const maxPublishWait = 2 * time.Second

// wroteRun tells the feed a request wrote a run (a replacement of a
// NotStarted run changes no state).
func (a *API) wroteRun(runID, etag string) {
	if a.cfg.Feed != nil {
		a.cfg.Feed.Wrote(runID, etag)
	}
}

// awaitPublished waits until the feed has the run's write with etag, so
// that a deletion published next comes after the engine's last changes.
func (a *API) awaitPublished(ctx context.Context, runID, etag string) {
	if a.cfg.Feed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, maxPublishWait)
	defer cancel()
	a.cfg.Feed.WaitWritten(ctx, runID, etag)
}

// publishRun tells the feed that a request created or deleted a run.
func (a *API) publishRun(r *http.Request, runID, fleetID string, old, new fleet.State, etag string) {
	if a.cfg.Feed == nil {
		return
	}
	c := feed.Change{
		RunID: runID, FleetID: fleetID, Kind: feed.KindRun, Name: lastSegment(runID),
		Old: old, New: new, Time: a.now(), Caller: feed.CallerFrom(r.Context()), ETag: etag,
	}
	a.cfg.Feed.Wrote(runID, etag, c)
	a.log.Info("update run transition", "run", c.Name, "fleet", lastSegment(fleetID), "kind", string(c.Kind), "path", "",
		"from", string(old), "to", string(new), "caller", c.Caller.Name, "role", c.Caller.Role)
}

func lastSegment(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}
