package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
)

// The provider's calibration: providerClusters clusters of a simulated
// cloud of its own, upgraded providerWave at a time (a wave of
// kubefleet-1run's first stage) by the AKS provider alone, the best of
// calibrationTries tries on fresh clusters.
const (
	providerClusters = 60
	providerWave     = 10
	providerToken    = "caravan-bench-provider-calibration"
)

// calibrateProvider measures, in this process and at this moment, the
// CPU that one member's upgrade costs outside caravan's engine, store and
// API: the AKS provider reading the cluster (with its maintenance
// configurations), sending the PUT and reading the cluster until the
// operation ended, through Azure's SDK over loopback HTTP, and the
// simulated cloud serving those requests. It returns microseconds of
// process CPU per upgrade, the best of several tries. Every scenario's
// members go through the same requests, so its CPU per transition cannot
// fall below half of it (an upgrade is two transitions).
func calibrateProvider(ctx context.Context) (float64, error) {
	cloud := simcloud.New(simcloud.Options{
		Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+providerToken },
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("error calibrating with the provider alone: %w", err)
	}
	srv := &http.Server{Handler: cloud, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	p, err := aks.New(aks.Config{Endpoint: "http://" + ln.Addr().String(), Credential: aks.StaticToken(providerToken)})
	if err != nil {
		return 0, fmt.Errorf("error calibrating with the provider alone: %w", err)
	}
	defer p.Close()
	best := time.Duration(1 << 62)
	for try := range calibrationTries {
		used, err := upgradeMany(ctx, cloud, p, try)
		if err != nil {
			return 0, err
		}
		best = min(best, used)
	}
	return round(float64(best.Microseconds())/float64(providerClusters-1), 1), nil
}

// upgradeMany upgrades providerClusters new clusters and returns the CPU
// the process spent on all but the first.
func upgradeMany(ctx context.Context, cloud *simcloud.Cloud, p *aks.Provider, try int) (time.Duration, error) {
	sub := newGUID()
	ids := make([]string, providerClusters)
	for i := range ids {
		var err error
		ids[i], err = cloud.CreateCluster(simcloud.ClusterSpec{
			Subscription:      sub,
			Name:              fmt.Sprintf("calibration-%d-%03d", try, i),
			ResourceGroup:     clusterGroup,
			Region:            benchRegion,
			KubernetesVersion: fromVersion,
			Tags:              map[string]string{simcloud.TagUpgradeSeconds: "0"},
			Pools:             []simcloud.PoolSpec{{Name: benchNodePoolName, Count: 3, Mode: "System"}},
		})
		if err != nil {
			return 0, fmt.Errorf("error calibrating with the provider alone: %w", err)
		}
	}
	// The first upgrade fills the provider's caches of what the region
	// offers and opens connections, as earlier members do in a scenario.
	if err := upgradeOne(ctx, p, ids[0], fmt.Sprintf("calibration-%d-0", try)); err != nil {
		return 0, err
	}
	rest := ids[1:]
	before := cpuTime()
	sem := make(chan struct{}, providerWave)
	errs := make(chan error, len(rest))
	var wg sync.WaitGroup
	for i, id := range rest {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs <- upgradeOne(ctx, p, id, fmt.Sprintf("calibration-%d-%d", try, i+1))
		})
	}
	wg.Wait()
	used := cpuTime() - before
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return used, nil
}

// upgradeOne upgrades a cluster as the engine does: it describes it,
// begins the upgrade from that read and waits for the read that shows its
// end.
func upgradeOne(ctx context.Context, p *aks.Provider, id, opID string) error {
	fail := func(err error) error {
		return fmt.Errorf("error calibrating with the provider alone: upgrading %s: %w", id, err)
	}
	c, err := p.Describe(ctx, id)
	if err != nil {
		return fail(err)
	}
	done := make(chan error, 1)
	var ended *cluster.Cluster
	op := cluster.Operation{
		ID: opID, ClusterID: id, Type: cluster.Full, KubernetesVersion: toVersion,
		NodeImages: cluster.ImageTarget{Latest: true},
		Basis:      c.Basis,
		End:        func(c *cluster.Cluster) { ended = c },
	}
	if err := p.Upgrade(ctx, op, func(err error) { done <- err }); err != nil {
		return fail(err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fail(err)
		}
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if ended == nil || ended.KubernetesVersion != toVersion {
		return fail(errors.New("the provider reported the end without a read of the cluster at the target version"))
	}
	return nil
}
