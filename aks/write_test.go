package aks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/simcloud/faultproxy"
)

var nodeImageOnly = cluster.Operation{Type: cluster.NodeImageOnly, NodeImages: cluster.ImageTarget{Latest: true}}

// imageUpgradePosts counts the upgradeNodeImageVersion POSTs that reach
// the cloud; refuse, when set, answers the first n of them with status
// refuse without letting the cloud see them.
func imageUpgradePosts(seen *atomic.Int64, refuse int, n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(strings.ToLower(r.URL.Path), "/upgradenodeimageversion") {
				if seen.Add(1) <= n {
					w.Header().Set("Retry-After", "0")
					http.Error(w, `{"error":{"code":"Refused","message":"refused by the test"}}`, refuse)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TestLostWriteAnswersAreSettledByReading: every write's answer is lost
// after the cloud applied it. The provider never sends a write again; it
// reads the cluster, recognises its own operation and follows it, so the
// upgrade succeeds with each pool re-imaged once.
func TestLostWriteAnswersAreSettledByReading(t *testing.T) {
	var posts atomic.Int64
	sim := newSim(t, simcloud.Options{}, imageUpgradePosts(&posts, 0, 0))
	proxy, err := faultproxy.New(sim.srv.URL, faultproxy.Options{DropRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	p := sim.provider(t, func(c *aks.Config) { c.Endpoint = front.URL })
	for _, seconds := range []string{"0", "0.2"} { // ended before the provider looks, or still running
		op := nodeImageOnly
		op.ID = "lost-" + seconds
		op.ClusterID = sim.twoPoolCluster(t, "lost-"+strings.ReplaceAll(seconds, ".", ""), simRegion, seconds, nil)
		posts.Store(0)
		r, err := upgrade(t, p, op)
		if err != nil {
			t.Fatalf("%s: Upgrade: %v (the write was applied; its lost answer must not read as not begun)", seconds, err)
		}
		if err := r.wait(t); err != nil {
			t.Fatalf("%s: %v", seconds, err)
		}
		if got := sim.upgrades(op.ClusterID); got != 2 || posts.Load() != 2 {
			t.Errorf("%s: the cloud re-imaged %d pools from %d POSTs, want 2 from 2", seconds, got, posts.Load())
		}
	}
	if proxy.Dropped() != 4 {
		t.Errorf("the proxy dropped %d answers, want 4", proxy.Dropped())
	}
}

// TestThrottledWritesAreRetried: a 429 says the request was not looked
// at, so the SDK retries the write itself.
func TestThrottledWritesAreRetried(t *testing.T) {
	var posts atomic.Int64
	sim := newSim(t, simcloud.Options{}, imageUpgradePosts(&posts, http.StatusTooManyRequests, 1))
	p := sim.provider(t, nil)
	op := nodeImageOnly
	op.ID, op.ClusterID = "throttled", sim.twoPoolCluster(t, "throttled", simRegion, "0", nil)
	r, err := upgrade(t, p, op)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := sim.upgrades(op.ClusterID); got != 2 || posts.Load() != 3 {
		t.Errorf("the cloud re-imaged %d pools from %d POSTs, want 2 from 3 (one throttled and retried)", got, posts.Load())
	}
}

// TestUncertainWriteThatDidNothingDidNotBegin: a 503 to a write is not
// retried blindly; the provider reads the cluster, finds nothing of the
// write, and reports that the upgrade did not begin.
func TestUncertainWriteThatDidNothingDidNotBegin(t *testing.T) {
	var posts atomic.Int64
	sim := newSim(t, simcloud.Options{}, imageUpgradePosts(&posts, http.StatusServiceUnavailable, 1))
	p := sim.provider(t, nil)
	op := nodeImageOnly
	op.ID, op.ClusterID = "unavailable", sim.twoPoolCluster(t, "unavailable", simRegion, "0", nil)
	_, err := upgrade(t, p, op)
	if cluster.ReasonOf(err) != cluster.Transient {
		t.Fatalf("Upgrade: %v, want a Transient error: nothing began", err)
	}
	if got := sim.upgrades(op.ClusterID); got != 0 || posts.Load() != 1 {
		t.Errorf("the cloud re-imaged %d pools from %d POSTs, want none from 1 (no blind retry)", got, posts.Load())
	}
}
