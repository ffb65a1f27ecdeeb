package aks_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
)

// offerCalls counts the requests for what a region offers.
type offerCalls struct {
	versions, profiles atomic.Int64
}

func (o *offerCalls) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.ToLower(r.URL.Path)
		switch {
		case strings.HasSuffix(path, "/kubernetesversions"):
			o.versions.Add(1)
		case strings.Contains(path, "/agentpools/") && strings.HasSuffix(path, "/upgradeprofiles/default"):
			o.profiles.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

func TestStepsReadOnlyTheOffersTheyNeed(t *testing.T) {
	var calls offerCalls
	sim := newSim(t, simcloud.Options{}, calls.wrap)
	// No cache: every lookup goes to the cloud.
	p := sim.provider(t, func(c *aks.Config) { c.OfferTTL = -1 })
	id := sim.twoPoolCluster(t, "offers", simRegion, "0", nil)
	pinned := cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202503.18.0", azl: azl + "-202503.18.0"}}
	r, err := upgrade(t, p, cluster.Operation{ID: "offers-1", ClusterID: id, Type: cluster.Full, KubernetesVersion: "1.30.11", NodeImages: pinned})
	if err != nil || r.wait(t) != nil {
		t.Fatalf("pinned Full upgrade: %v", err)
	}
	// The first observation checks the target against the region's
	// offers; the three that follow the steps need none of them.
	if v, pr := calls.versions.Load(), calls.profiles.Load(); v != 1 || pr != 2 {
		t.Errorf("a pinned upgrade of three steps asked for versions %d times and pool upgrade profiles %d times, want 1 and 2", v, pr)
	}
}

func TestConcurrentMissesLookOffersUpOnce(t *testing.T) {
	const n = 8
	var versions, profiles, reads atomic.Int64
	allRead := make(chan struct{})
	gate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			path := strings.ToLower(r.URL.Path)
			switch {
			case strings.HasSuffix(path, "/kubernetesversions"):
				versions.Add(1)
				<-allRead // every Describe has read its cluster and looks offers up now
			case strings.HasSuffix(path, "/upgradeprofiles/default"):
				profiles.Add(1)
				<-allRead
			case r.Method == http.MethodGet && strings.Contains(path, "/managedclusters/"):
				next.ServeHTTP(w, r)
				if reads.Add(1) == n {
					close(allRead)
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	sim := newSim(t, simcloud.Options{}, gate)
	p := sim.provider(t, nil)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = sim.twoPoolCluster(t, "burst-"+string(rune('a'+i)), simRegion, "0", nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Describe(context.Background(), id)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if versions.Load() != 1 || profiles.Load() != 2 {
		t.Errorf("%d Describes at once in one region asked for versions %d times and pool upgrade profiles %d times, want 1 and 2 (one per image family)", n, versions.Load(), profiles.Load())
	}
}
