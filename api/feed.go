package api

import (
	"net/http"

	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
)

// Publisher receives the runs the API creates and deletes; *feed.Feed is
// one. Publish must not block.
type Publisher interface {
	Publish(changes ...feed.Change)
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
	a.cfg.Feed.Publish(c)
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
