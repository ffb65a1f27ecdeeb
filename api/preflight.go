package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runs"
	"github.com/caravan-dev/caravan/store"
)

// observers is how many clusters a preflight reads at once.
const observers = 16

// preflightAge is how old a read of a cluster may be for a preflight to
// pass on it (see preflight).
const preflightAge = 30 * time.Second

// unfinished returns the clusters of a run's members that have not
// finished, by fleet.ClusterKey.
func unfinished(st *fleet.RunStatus) map[string]string {
	ids := map[string]string{}
	if st == nil {
		return ids
	}
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				if !m.Status.State.Finished() {
					ids[fleet.ClusterKey(m.ClusterResourceID)] = m.ClusterResourceID
				}
			}
		}
	}
	return ids
}

// observe reads the clusters of a run's members that have not finished,
// each once, with their maintenance windows (what a plan shows).
func (a *API) observe(ctx context.Context, st *fleet.RunStatus) runs.Observations {
	obs := runs.Observations{}
	a.read(ctx, obs, unfinished(st), true)
	return obs
}

// read reads the clusters ids into obs, by key, and keeps what it saw for
// member responses. With windows each read is a Describe, else a glance
// (cluster.Glancer).
func (a *API) read(ctx context.Context, obs runs.Observations, ids map[string]string, windows bool) {
	if a.cfg.Clusters == nil {
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, observers)
	for key, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var c *cluster.Cluster
			var err error
			if windows {
				c, err = a.cfg.Clusters.Describe(rctx, id)
			} else {
				c, err = cluster.Glance(rctx, a.cfg.Clusters, id)
			}
			if err == nil {
				a.clusters.remember(id, c)
			} else if ctx.Err() == nil {
				a.clusters.failed(id, err)
			}
			mu.Lock()
			obs[key] = runs.Observation{Cluster: c, Err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
}

// preflight decides check on the clusters of a run's unfinished members,
// read without their windows: a cluster read at most preflightAge ago (by
// the engine, the API or an earlier preflight) is not read again. When
// that refuses, the clusters taken from earlier reads are read afresh and
// check decides again: a preflight passes on what was seen lately, but
// refuses only on what is there now.
func (a *API) preflight(ctx context.Context, st *fleet.RunStatus, check func(runs.Observations) error) error {
	obs := runs.Observations{}
	ids, reused := unfinished(st), map[string]string{}
	if a.cfg.Clusters != nil {
		for key, id := range ids {
			if c := a.clusters.recent(id, preflightAge); c != nil {
				obs[key] = runs.Observation{Cluster: c}
				reused[key] = id
				delete(ids, key)
			}
		}
	}
	a.read(ctx, obs, ids, false)
	err := check(obs)
	if err == nil || len(reused) == 0 {
		return err
	}
	a.read(ctx, obs, reused, false)
	return check(obs)
}

// checkOffered is the preflight of a new or changed run: its Kubernetes
// version must be offered in some region of its members' clusters.
func (a *API) checkOffered(ctx context.Context, u fleet.ManagedClusterUpdate, st *fleet.RunStatus) error {
	if u.Upgrade.Type == fleet.UpgradeNodeImageOnly || a.cfg.Clusters == nil {
		return nil
	}
	return a.preflight(ctx, st, func(obs runs.Observations) error {
		read, unreachable := 0, ""
		for _, o := range obs {
			switch {
			case o.Cluster != nil:
				read++
			case cluster.ReasonOf(o.Err) != cluster.NotFound && unreachable == "":
				unreachable = o.Err.Error()
			}
		}
		if read == 0 && unreachable != "" {
			return unavailable("cannot reach the cloud to check that Kubernetes " + u.Upgrade.KubernetesVersion + " is offered to the run's clusters: " + unreachable)
		}
		return runs.CheckOffered(u, obs)
	})
}

// checkStart is the preflight of starting a run: every member that has
// not finished must be able to reach the target legally. Those that
// cannot are named in a 409, with what to do.
func (a *API) checkStart(ctx context.Context, rt route) error {
	run, _, err := store.Load[fleet.UpdateRun](ctx, a.cfg.Store, store.Runs, store.CanonicalID(rt.childID()))
	if err != nil {
		return nil // the engine answers for a run it cannot find
	}
	st := run.Properties.Status
	if st == nil || (st.Status.State != fleet.NotStarted && st.Status.State != fleet.Stopped && st.Status.State != fleet.Failed) {
		return nil
	}
	return a.preflight(ctx, st, func(obs runs.Observations) error {
		blocked := runs.Build(run, obs).Blocked()
		if len(blocked) == 0 {
			return nil
		}
		var lines, targets []string
		for _, m := range blocked {
			lines = append(lines, fmt.Sprintf("%s (stage %s, group %s): %s", m.Name, m.Stage, m.Group, m.Reason))
			targets = append(targets, "Member:"+m.Name)
		}
		noun := "members cannot"
		if len(blocked) == 1 {
			noun = "member cannot"
		}
		return &fleet.Error{Kind: fleet.KindConflict, Code: "MembersCannotReachTarget", Message: fmt.Sprintf(
			"update run %s cannot start: %d %s reach its target: %s. Skip them first (caravan updaterun skip -g %s -f %s -n %s --targets %s), or create a run with a target they can reach; caravan updaterun plan shows what each member will do",
			rt.name, len(blocked), noun, strings.Join(lines, "; "), rt.rg, rt.fleet, rt.name, strings.Join(targets, ","))}
	})
}

// getPlan answers GET .../updateRuns/{r}/plan, caravan's own extension:
// what the run will do, member by member, from a fresh read of each
// member's cluster.
func (a *API) getPlan(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, err := a.load(r.Context(), store.Runs, rt.childID(), "update run "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	run, err := store.Decode[fleet.UpdateRun](rec)
	if err != nil {
		return err
	}
	obs := a.observe(r.Context(), run.Properties.Status)
	plan := runs.Build(run, obs)
	runs.ApplyWindows(&plan, obs, a.now())
	writeJSON(w, http.StatusOK, plan)
	return nil
}
