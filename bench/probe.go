package bench

import (
	"context"
	"time"
)

// probeInterval is how often the probe reads: about what a dashboard
// that follows a run polls, ten times over.
const probeInterval = 100 * time.Millisecond

// probe is a client that reads the API while runs go on: every
// probeInterval, the run (GET), then one page of the fleet's members
// (list), one request at a time.
type probe struct {
	getRun      []time.Duration
	listMembers []time.Duration
	err         error
}

// runProbe reads until ctx ends and returns what it measured.
func runProbe(ctx context.Context, api *armClient, runPath, membersPath string) *probe {
	p := &probe{}
	var buf []byte // the answers' bodies, one at a time
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		for _, c := range []struct {
			path string
			into *[]time.Duration
		}{{runPath, &p.getRun}, {membersPath, &p.listMembers}} {
			start := time.Now()
			_, err := api.get(ctx, c.path, &buf)
			if ctx.Err() != nil {
				return p
			}
			if err != nil {
				p.err = err
				return p
			}
			*c.into = append(*c.into, time.Since(start))
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return p
		}
	}
}
