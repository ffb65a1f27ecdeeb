package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// What the benchmark's clusters run and are upgraded to.
const (
	benchRegion       = "eastus"
	fromVersion       = "1.31.8"
	toVersion         = "1.32.6"
	fleetGroup        = "caravan-bench"
	clusterGroup      = "caravan-bench-clusters"
	setupConcurrency  = 16
	benchNodePoolName = "nodepool1"
)

// env is a caravan server hosting a simulated cloud, with the fleets of a
// plan created in it.
type env struct {
	srv *server.Server
	api *armClient
	sub string
	dir string
	// removeDir: the data directory is temporary.
	removeDir bool
}

// startEnv starts a server on a free loopback port with its store in a
// new directory (or in PostgreSQL) and its simulated cloud hosted on the
// same endpoint, as caravan serve --simulate runs.
func startEnv(ctx context.Context, o Options, name string) (*env, error) {
	e := &env{sub: newGUID()}
	var err error
	if o.DataDir == "" {
		e.dir, err = os.MkdirTemp("", "caravan-bench-"+name+"-")
		e.removeDir = true
	} else {
		if err = os.MkdirAll(o.DataDir, 0o700); err == nil {
			e.dir, err = os.MkdirTemp(o.DataDir, name+"-")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("error creating a data directory for scenario %s: %w", name, err)
	}
	token := auth.NewToken()
	cfg := server.Config{
		Addr:     "127.0.0.1:0",
		DataDir:  e.dir,
		Token:    token,
		Simulate: true,
		// As ARM says when to poll: in whole seconds only.
		SimRetryAfterSeconds: o.RetryAfterSeconds,
		Logger:               slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if o.storeName() == StorePostgres {
		cfg.DB = o.PostgresDSN
	}
	e.srv, err = server.Start(ctx, cfg)
	if err != nil {
		e.removeData()
		return nil, fmt.Errorf("error starting caravan for scenario %s: %w", name, err)
	}
	e.api = newARMClient(e.srv.URL, token)
	return e, nil
}

func (e *env) close() {
	e.api.close()
	e.srv.Shutdown()
	e.removeData()
}

func (e *env) removeData() {
	if e.removeDir {
		os.RemoveAll(e.dir)
	}
}

func (e *env) fleetPath(name string) string {
	return "/subscriptions/" + e.sub + "/resourceGroups/" + fleetGroup + "/providers/Microsoft.ContainerService/fleets/" + name
}

func (e *env) runPath(p plan, r runPlan) string {
	return e.fleetPath(p.fleets[r.fleet].name) + "/updateRuns/" + r.name
}

// setup creates the plan's clusters in the simulated cloud, then its
// fleets, members and runs through the Fleet API.
func (e *env) setup(ctx context.Context, p plan) error {
	clusterIDs := make([][]string, len(p.fleets))
	for fi, f := range p.fleets {
		clusterIDs[fi] = make([]string, len(f.groups))
		for mi := range f.groups {
			id, err := e.srv.Cloud.CreateCluster(simcloud.ClusterSpec{
				Subscription:      e.sub,
				Name:              fmt.Sprintf("f%03d-%s", fi+1, memberName(mi)),
				ResourceGroup:     clusterGroup,
				Region:            benchRegion,
				KubernetesVersion: fromVersion,
				Tags:              map[string]string{simcloud.TagUpgradeSeconds: p.timing(fi, mi).tag},
				Pools:             []simcloud.PoolSpec{{Name: benchNodePoolName, Count: 3, Mode: "System"}},
			})
			if err != nil {
				return fmt.Errorf("error creating a simulated cluster: %w", err)
			}
			clusterIDs[fi][mi] = id
		}
	}
	for _, f := range p.fleets {
		body := fleet.Fleet{Location: benchRegion}
		if _, err := e.api.do(ctx, "PUT", e.fleetPath(f.name), body, nil); err != nil {
			return fmt.Errorf("error creating fleet %s: %w", f.name, err)
		}
	}
	type job struct{ f, m int }
	jobs := make(chan job)
	errs := make(chan error, setupConcurrency)
	var wg sync.WaitGroup
	for range setupConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				f := p.fleets[j.f]
				body := fleet.Member{Properties: fleet.MemberProperties{ClusterResourceID: clusterIDs[j.f][j.m], Group: f.groups[j.m]}}
				if _, err := e.api.do(ctx, "PUT", e.fleetPath(f.name)+"/members/"+memberName(j.m), body, nil); err != nil {
					errs <- fmt.Errorf("error creating member %s of fleet %s: %w", memberName(j.m), f.name, err)
					return
				}
			}
		}()
	}
	var failed error
feed:
	for fi, f := range p.fleets {
		for mi := range f.groups {
			select {
			case jobs <- job{fi, mi}:
			case failed = <-errs:
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if failed == nil && len(errs) > 0 {
		failed = <-errs
	}
	if failed != nil {
		return failed
	}
	for _, r := range p.runs {
		strategy := r.strategy
		body := fleet.UpdateRun{Properties: fleet.UpdateRunProperties{
			Strategy: &strategy,
			ManagedClusterUpdate: fleet.ManagedClusterUpdate{
				Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: toVersion},
				NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageLatest},
			},
		}}
		if _, err := e.api.do(ctx, "PUT", e.runPath(p, r), body, nil); err != nil {
			return fmt.Errorf("error creating update run %s: %w", r.name, err)
		}
	}
	return nil
}

// newGUID returns a random subscription id, so that the benchmark's
// resources never meet others in a shared database.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
