package aks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
)

const (
	ubuntu = simcloud.FamilyUbuntu2204
	azl    = simcloud.FamilyAzureLinux3
)

// twoPoolCluster creates a cluster at 1.29.9 in region with a System pool
// "sys" (Ubuntu) and a User pool "user" (Azure Linux) on the oldest image,
// whose operations take opSeconds.
func (e *simEnv) twoPoolCluster(t *testing.T, name, region, opSeconds string, tags map[string]string) string {
	t.Helper()
	all := map[string]string{simcloud.TagUpgradeSeconds: opSeconds}
	for k, v := range tags {
		all[k] = v
	}
	id, err := e.cloud.CreateCluster(simcloud.ClusterSpec{
		Name: name, ResourceGroup: simGroup, Region: region, KubernetesVersion: "1.29.9", Tags: all,
		Pools: []simcloud.PoolSpec{
			{Name: "sys", Mode: "System", Count: 1, OSSKU: simcloud.OSSKUUbuntu, NodeImageVersion: ubuntu + "-202501.12.0"},
			{Name: "user", Mode: "User", Count: 2, OSSKU: simcloud.OSSKUAzureLinux, NodeImageVersion: azl + "-202501.12.0"},
		},
	})
	if err != nil {
		t.Fatalf("creating cluster %s: %v", name, err)
	}
	return id
}

// upgrades counts the things the cloud upgraded on a cluster: the
// control plane and each pool once per upgrade, whether they were upgraded
// by one operation or by several.
func (e *simEnv) upgrades(id string) int {
	n := 0
	for _, op := range e.cloud.Operations(simcloud.OperationFilter{Cluster: id}) {
		switch op.Kind {
		case simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool, simcloud.KindUpgradeNodeImage:
			n++
		}
	}
	return n
}

// operations counts the ARM operations that upgraded something on a
// cluster.
func (e *simEnv) operations(id string) int {
	ids := map[string]bool{}
	for _, op := range e.cloud.Operations(simcloud.OperationFilter{Cluster: id}) {
		switch op.Kind {
		case simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool, simcloud.KindUpgradeNodeImage:
			ids[op.OperationID] = true
		}
	}
	return len(ids)
}

// result is one Upgrade call's done callback, watched.
type result struct {
	calls atomic.Int32
	ch    chan error
}

func upgrade(t *testing.T, p cluster.Provider, op cluster.Operation) (*result, error) {
	t.Helper()
	r := &result{ch: make(chan error, 2)}
	err := p.Upgrade(context.Background(), op, func(err error) {
		r.calls.Add(1)
		r.ch <- err
	})
	return r, err
}

func (r *result) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.ch:
		if n := r.calls.Load(); n != 1 {
			t.Errorf("done called %d times", n)
		}
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("done not called within 20s")
		return nil
	}
}

func full(id, opID, version string) cluster.Operation {
	return cluster.Operation{ID: opID, ClusterID: id, Type: cluster.Full, KubernetesVersion: version,
		NodeImages: cluster.ImageTarget{Latest: true}}
}

func TestZeroSecondUpgradeFinishesInMilliseconds(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, func(c *aks.Config) { c.Poll = aks.Poll{} }) // defaults: 100ms start, 15s max
	id := sim.twoPoolCluster(t, "fast", simRegion, "0", nil)
	if _, err := p.Describe(context.Background(), id); err != nil { // warm the offer caches
		t.Fatal(err)
	}
	start := time.Now()
	r, err := upgrade(t, p, full(id, "fast-1", "1.30.11"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	// One operation (control plane and both pools) of a few requests on
	// loopback: well under the 100ms that one polling interval would add.
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("a Full upgrade of 0-second operations took %v, want milliseconds", d)
	}
	// The cloud answers the PUT with the operation under way, due now
	// (retry-after-ms 0): one read of the cluster ends it and is its
	// end, with no status poll and no read after it.
	if n, polls := sim.follows.Load(), sim.polls.Load(); n != 1 || polls != 0 {
		t.Errorf("looked %d times at an operation due when it began (%d of them its status), want one read of the cluster", n, polls)
	}
}

func TestPollingFollowsRetryAfter(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	// A large polling interval: only the server's hint can make it fast.
	p := sim.provider(t, func(c *aks.Config) { c.Poll = aks.Poll{Initial: 5 * time.Second, Max: 5 * time.Second} })
	id := sim.twoPoolCluster(t, "timed", simRegion, "0.3", nil)
	start := time.Now()
	r, err := upgrade(t, p, cluster.Operation{ID: "timed-1", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.11"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	if d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("a 0.3s operation was followed to its end in %v", d)
	}
	if n := sim.follows.Load(); n < 1 || n > 2 {
		t.Errorf("looked %d times at the operation's end; the server's retry-after-ms says exactly when to look", n)
	}
}

func TestWholeSecondRetryAfterDoesNotOversleep(t *testing.T) {
	sim := newSim(t, simcloud.Options{RetryAfterSeconds: true})
	p := sim.provider(t, func(c *aks.Config) { c.Poll = aks.Poll{} }) // defaults: 100ms start, 15s max
	id := sim.twoPoolCluster(t, "coarse", simRegion, "0.2", nil)
	start := time.Now()
	r, err := upgrade(t, p, cluster.Operation{ID: "coarse-1", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.11"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	// The cloud says Retry-After: 1 for an operation of 200 ms; following
	// it to the letter would take a second.
	if d := time.Since(start); d < 200*time.Millisecond || d >= time.Second {
		t.Errorf("a 0.2s operation with whole-second hints was followed to its end in %v, want well under a second", d)
	}
	if n := sim.follows.Load(); n < 1 || n > 4 {
		t.Errorf("looked %d times at the operation's end, want a few", n)
	}
}

func TestRetriesThroughInjectedFaults(t *testing.T) {
	sim := newSim(t, simcloud.Options{FaultRate: 0.4, Seed: 14, Speed: 1000})
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "faulty", simRegion, "0.05", nil)
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatalf("Describe through faults: %v", err)
	}
	if len(c.AvailableVersions) == 0 {
		t.Fatal("no versions")
	}
	r, err := upgrade(t, p, full(id, "faulty-1", "1.30.11"))
	if err != nil {
		t.Fatalf("Upgrade through faults: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("upgrade through faults ended with %v", err)
	}
	if got := sim.upgrades(id); got != 3 {
		t.Errorf("the cloud upgraded %d things, want 3 (control plane and two pools): retries must not begin anything twice", got)
	}
}

func TestFaultsOutlastingRetriesAreTransient(t *testing.T) {
	// Every request is faulted twice in a row before it gets through.
	sim := newSim(t, simcloud.Options{FaultRate: 1, Speed: 1000})
	id := sim.twoPoolCluster(t, "throttled", simRegion, "0", nil)

	none := sim.provider(t, func(c *aks.Config) { c.Retry.MaxRetries = -1 })
	_, err := none.Describe(context.Background(), id)
	if cluster.ReasonOf(err) != cluster.Transient {
		t.Fatalf("Describe without retries = %v, want Transient", err)
	}
	_, err = upgrade(t, none, full(id, "throttled-1", "1.30.11"))
	if cluster.ReasonOf(err) != cluster.Transient {
		t.Fatalf("Upgrade without retries = %v, want Transient", err)
	}

	two := sim.provider(t, func(c *aks.Config) { c.Retry.MaxRetries = 2 })
	if _, err := two.Describe(context.Background(), id); err != nil {
		t.Fatalf("Describe with two retries: %v", err)
	}
}

func TestResumeAfterRestartContinuesWithoutRepeating(t *testing.T) {
	// Latest images: one operation moves everything. Pinned images (the
	// newest, so the end state is the same): the control plane, then each
	// pool, so the restart falls between steps.
	pinned := cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202505.14.0", azl: azl + "-202505.14.0"}}
	for _, images := range []cluster.ImageTarget{{Latest: true}, pinned} {
		t.Run(map[bool]string{true: "latest", false: "pinned"}[images.Latest], func(t *testing.T) {
			resumeAfterRestart(t, images)
		})
	}
}

func resumeAfterRestart(t *testing.T, images cluster.ImageTarget) {
	sim := newSim(t, simcloud.Options{})
	id := sim.twoPoolCluster(t, "restart", simRegion, "0.2", nil)
	op := full(id, "restart-1", "1.30.11")
	op.NodeImages = images

	before := sim.provider(t, nil)
	abandoned, err := upgrade(t, before, op)
	if err != nil {
		t.Fatal(err)
	}
	// The first step is under way; the process goes away.
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	after := sim.provider(t, nil)
	op.Resume = true
	r, err := upgrade(t, after, op)
	if err != nil {
		t.Fatalf("re-attaching: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("resumed upgrade ended with %v", err)
	}
	if n := abandoned.calls.Load(); n != 0 {
		t.Errorf("the closed provider called done %d times", n)
	}
	c, err := after.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range c.NodePools {
		if c.KubernetesVersion != "1.30.11" || pl.KubernetesVersion != "1.30.11" || pl.NodeImageVersion != pl.LatestNodeImageVersion {
			t.Errorf("cluster at %s, pool %s at %s %s; want everything at 1.30.11 and the latest image", c.KubernetesVersion, pl.Name, pl.KubernetesVersion, pl.NodeImageVersion)
		}
	}
	if got := sim.upgrades(id); got != 3 {
		t.Errorf("began %d upgrade operations across the restart, want 3 (control plane and two pools, once each)", got)
	}
}

func TestResumeReportsAFailedOperation(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	id := sim.twoPoolCluster(t, "broken", simRegion, "0.2", map[string]string{simcloud.TagFailUpgrade: "true"})
	op := full(id, "broken-1", "1.30.11")
	before := sim.provider(t, nil)
	if _, err := upgrade(t, before, op); err != nil {
		t.Fatal(err)
	}
	_ = before.Close()

	after := sim.provider(t, nil)
	op.Resume = true
	r, err := upgrade(t, after, op)
	if err != nil {
		t.Fatalf("re-attaching: %v", err)
	}
	err = r.wait(t)
	if cluster.ReasonOf(err) != cluster.Failed {
		t.Fatalf("resumed failed operation reported %v, want Failed", err)
	}
	if got := sim.operations(id); got != 1 {
		t.Errorf("began %d upgrade operations, want the one that failed and nothing more", got)
	}
}

func TestUpgradeAtTargetBeginsNothing(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "done", simRegion, "0", nil)
	r, err := upgrade(t, p, full(id, "done-1", "1.30.11"))
	if err != nil || r.wait(t) != nil {
		t.Fatalf("first upgrade: %v", err)
	}
	n := sim.upgrades(id)
	for _, resume := range []bool{false, true} {
		op := full(id, "done-again", "1.30.11")
		op.Resume = resume
		op.ID += map[bool]string{false: "-fresh", true: "-resumed"}[resume]
		r, err := upgrade(t, p, op)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	if got := sim.upgrades(id); got != n {
		t.Errorf("upgrading a cluster at its target began %d operations", got-n)
	}
}

func TestUnavailableTargets(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, nil)
	// southeastasia has three of the five node image releases.
	id := sim.twoPoolCluster(t, "behind", "southeastasia", "0", nil)
	for name, op := range map[string]cluster.Operation{
		"version": {ID: "v", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.99"},
		"minor":   {ID: "m", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.28"},
		"image": {ID: "i", ClusterID: id, Type: cluster.NodeImageOnly,
			NodeImages: cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202505.14.0"}}},
	} {
		if _, err := upgrade(t, p, op); cluster.ReasonOf(err) != cluster.Unavailable {
			t.Errorf("%s: Upgrade = %v, want Unavailable", name, err)
		}
	}
	if n := sim.upgrades(id); n != 0 {
		t.Errorf("began %d operations", n)
	}
	// A minor-only version means its newest patch in the region.
	r, err := upgrade(t, p, cluster.Operation{ID: "minor-ok", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30"})
	if err != nil || r.wait(t) != nil {
		t.Fatalf("upgrade to 1.30: %v", err)
	}
	if c, _ := p.Describe(context.Background(), id); c.KubernetesVersion != "1.30.11" {
		t.Errorf("control plane at %s, want 1.30.11", c.KubernetesVersion)
	}
}

// stripNodeImageVersion removes nodeImageVersion from agent pool PUTs, as
// an API version where the field is read-only ignores it.
func stripNodeImageVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(strings.ToLower(r.URL.Path), "/agentpools/") {
			var body map[string]any
			if json.NewDecoder(r.Body).Decode(&body) == nil {
				if props, ok := body["properties"].(map[string]any); ok {
					delete(props, "nodeImageVersion")
				}
				b, _ := json.Marshal(body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.ContentLength = int64(len(b))
			}
		}
		next.ServeHTTP(w, r)
	})
}

func TestPinnedImageIgnoredByTheAPIVersionFails(t *testing.T) {
	sim := newSim(t, simcloud.Options{}, stripNodeImageVersion)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "gaonly", simRegion, "0", nil)
	r, err := upgrade(t, p, cluster.Operation{ID: "pin", ClusterID: id, Type: cluster.NodeImageOnly,
		NodeImages: cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202503.18.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = r.wait(t)
	if cluster.ReasonOf(err) != cluster.Failed || cluster.CodeOf(err) != "NodeImageVersionNotApplied" {
		t.Fatalf("pinning through an API version that ignores nodeImageVersion = %v, want Failed NodeImageVersionNotApplied", err)
	}
	if !strings.Contains(err.Error(), aks.EnvNodeImageAPIVersion) {
		t.Errorf("the error %q does not say how to fix it", err)
	}
}

func TestNodeImageAPIVersionIsUsedForPinnedUpdates(t *testing.T) {
	const preview = "2099-01-01-preview"
	var mu sync.Mutex
	seen := map[string]string{} // "METHOD kind" → api-version
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			path := strings.ToLower(r.URL.Path)
			kind := ""
			switch {
			case r.Method == http.MethodPut && strings.Contains(path, "/agentpools/"):
				kind = "PUT agentPool"
			case r.Method == http.MethodPut:
				kind = "PUT managedCluster"
			case r.Method == http.MethodGet && strings.HasSuffix(path, "/kubernetesversions"):
				kind = "GET kubernetesVersions"
			}
			if kind != "" {
				mu.Lock()
				seen[kind] = r.URL.Query().Get("api-version")
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}
	sim := newSim(t, simcloud.Options{}, record)
	p := sim.provider(t, func(c *aks.Config) { c.NodeImageAPIVersion = preview })
	id := sim.twoPoolCluster(t, "preview", simRegion, "0", nil)
	r, err := upgrade(t, p, cluster.Operation{ID: "pinned", ClusterID: id, Type: cluster.Full, KubernetesVersion: "1.30.11",
		NodeImages: cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202503.18.0", azl: azl + "-202504.16.0"}}})
	if err != nil || r.wait(t) != nil {
		t.Fatalf("pinned Full upgrade: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"PUT agentPool": preview, "PUT managedCluster": "2025-02-01", "GET kubernetesVersions": "2025-02-01"}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s used api-version %q, want %q", k, seen[k], v)
		}
	}
}

func TestDescribeCachesOffersForTheTTL(t *testing.T) {
	var versions, profiles atomic.Int64
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			path := strings.ToLower(r.URL.Path)
			switch {
			case strings.HasSuffix(path, "/kubernetesversions"):
				versions.Add(1)
			case strings.Contains(path, "/agentpools/") && strings.HasSuffix(path, "/upgradeprofiles/default"):
				profiles.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	sim := newSim(t, simcloud.Options{}, count)
	var now atomic.Int64
	now.Store(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	p := sim.provider(t, func(c *aks.Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()) } })
	a := sim.twoPoolCluster(t, "cache-a", simRegion, "0", nil)
	b := sim.twoPoolCluster(t, "cache-b", simRegion, "0", nil)
	for _, id := range []string{a, b, a} {
		if _, err := p.Describe(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if versions.Load() != 1 || profiles.Load() != 2 {
		t.Errorf("three Describes in one region asked for versions %d times and pool upgrade profiles %d times, want 1 and 2 (one per image family)", versions.Load(), profiles.Load())
	}
	now.Add(int64(aks.DefaultOfferTTL + time.Second))
	if _, err := p.Describe(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if versions.Load() != 2 || profiles.Load() != 4 {
		t.Errorf("after the TTL: versions asked %d times, profiles %d times; want 2 and 4", versions.Load(), profiles.Load())
	}
}

func TestSecondOperationOnATrackedClusterIsBusy(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "single", simRegion, "3600", nil)
	if _, err := upgrade(t, p, full(id, "first", "1.30.11")); err != nil {
		t.Fatal(err)
	}
	_, err := upgrade(t, p, full(id, "second", "1.30.11"))
	if cluster.ReasonOf(err) != cluster.Busy {
		t.Fatalf("a second operation on a cluster being upgraded = %v, want Busy", err)
	}
}

func TestCloseStopsTrackingAndRefusesNewWork(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "closing", simRegion, "3600", nil)
	r, err := upgrade(t, p, full(id, "long", "1.30.11"))
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		_ = p.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while an operation was being tracked")
	}
	_ = p.Close() // twice is fine
	if n := r.calls.Load(); n != 0 {
		t.Errorf("done called %d times after Close", n)
	}
	if _, err := upgrade(t, p, full(id, "after", "1.30.11")); cluster.ReasonOf(err) != cluster.Transient {
		t.Errorf("Upgrade after Close = %v, want Transient", err)
	}
	c, err := sim.provider(t, nil).Describe(context.Background(), id)
	if err != nil || !c.Busy {
		t.Errorf("the cloud's operation should still run after Close: busy=%v err=%v", c != nil && c.Busy, err)
	}
}

func TestCredentialIsRequiredByTheCloud(t *testing.T) {
	sim := newSim(t, simcloud.Options{})
	p := sim.provider(t, func(c *aks.Config) { c.Credential = aks.StaticToken("wrong") })
	id := sim.twoPoolCluster(t, "locked", simRegion, "0", nil)
	_, err := p.Describe(context.Background(), id)
	if cluster.ReasonOf(err) != cluster.Rejected || cluster.CodeOf(err) != simcloud.CodeAuthenticationFailed {
		t.Fatalf("Describe with a wrong token = %v, want Rejected AuthenticationFailed", err)
	}
}
