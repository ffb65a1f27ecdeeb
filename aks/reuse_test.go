package aks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
)

// call is one ARM request the simulated cloud answered.
type call struct {
	method, path string
	ifMatch      string
	status       int
}

// isClusterGet reports a GET of the managed cluster itself.
func (c call) isClusterGet() bool {
	return c.method == http.MethodGet && strings.HasSuffix(c.path, "/managedclusters/"+c.clusterName())
}

func (c call) isClusterPut() bool {
	return c.method == http.MethodPut && !strings.Contains(c.path, "/agentpools/")
}

func (c call) isPoolPut() bool {
	return c.method == http.MethodPut && strings.Contains(c.path, "/agentpools/")
}

func (c call) clusterName() string {
	_, after, ok := strings.Cut(c.path, "/managedclusters/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(after, "/")
	return name
}

// calls records the ARM requests that reach the simulated cloud.
type calls struct {
	mu  sync.Mutex
	all []call
}

func (cs *calls) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		cs.mu.Lock()
		cs.all = append(cs.all, call{method: r.Method, path: strings.ToLower(r.URL.Path), ifMatch: r.Header.Get("If-Match"), status: sw.status})
		cs.mu.Unlock()
	})
}

// since returns the requests recorded after the first n.
func (cs *calls) since(n int) []call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]call(nil), cs.all[n:]...)
}

func (cs *calls) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.all)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// clusterETag reads the cluster's eTag straight from the cloud.
func clusterETag(t *testing.T, sim *simEnv, id string) string {
	t.Helper()
	var mc struct {
		ETag string `json:"eTag"`
	}
	if err := json.Unmarshal((&simFixture{sim: sim}).do(t, http.MethodGet, sim.srv.URL+id, ""), &mc); err != nil || mc.ETag == "" {
		t.Fatalf("reading the eTag of %s: %q, %v", id, mc.ETag, err)
	}
	return mc.ETag
}

// atTarget checks that the control plane and every pool are at version,
// each pool on its region's newest image.
func atTarget(t *testing.T, p cluster.Provider, id, version string) {
	t.Helper()
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.KubernetesVersion != version {
		t.Errorf("control plane at %s, want %s", c.KubernetesVersion, version)
	}
	for _, pl := range c.NodePools {
		if pl.KubernetesVersion != version || pl.NodeImageVersion != pl.LatestNodeImageVersion {
			t.Errorf("pool %s at %s with %s, want %s with %s", pl.Name, pl.KubernetesVersion, pl.NodeImageVersion, version, pl.LatestNodeImageVersion)
		}
	}
}

func TestFullLatestIsOneClusterOperation(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "single", simRegion, "0.1", nil)
	r, err := upgrade(t, p, full(id, "single-1", "1.30.11"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	atTarget(t, p, id, "1.30.11")
	if got := sim.operations(id); got != 1 {
		t.Errorf("the upgrade took %d cloud operations, want 1", got)
	}
	kinds := map[simcloud.OperationKind]int{}
	for _, op := range sim.cloud.Operations(simcloud.OperationFilter{Cluster: id}) {
		kinds[op.Kind]++
	}
	if kinds[simcloud.KindUpgradeControlPlane] != 1 || kinds[simcloud.KindUpgradeAgentPool] != 2 || len(kinds) != 2 {
		t.Errorf("the cloud recorded %v, want one control plane and two pool upgrades", kinds)
	}
	var puts, poolPuts int
	for _, c := range rec.since(0) {
		puts += b2i(c.isClusterPut())
		poolPuts += b2i(c.isPoolPut())
	}
	if puts != 1 || poolPuts != 0 {
		t.Errorf("sent %d managed cluster PUTs and %d agent pool PUTs, want 1 and 0", puts, poolPuts)
	}
}

// dropPool leaves a pool out of managed cluster PUTs, as if the cloud had
// not taken it in: the cluster upgrade moves the control plane and the
// other pools only.
func dropPool(name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && !strings.Contains(strings.ToLower(r.URL.Path), "/agentpools/") {
				var body map[string]any
				if json.NewDecoder(r.Body).Decode(&body) == nil {
					if props, ok := body["properties"].(map[string]any); ok {
						profiles, _ := props["agentPoolProfiles"].([]any)
						kept := profiles[:0]
						for _, prof := range profiles {
							if m, ok := prof.(map[string]any); !ok || m["name"] != name {
								kept = append(kept, prof)
							}
						}
						props["agentPoolProfiles"] = kept
					}
					replaceBody(r, body)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestFullLatestFinishesWhatTheClusterUpgradeLeft(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, dropPool("user"), rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "leftover", simRegion, "0", nil)
	r, err := upgrade(t, p, full(id, "leftover-1", "1.30.11"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	atTarget(t, p, id, "1.30.11")
	if got := sim.upgrades(id); got != 3 {
		t.Errorf("the cloud upgraded %d things, want 3: control plane and two pools, once each", got)
	}
	var poolPuts []string
	for _, c := range rec.since(0) {
		if c.isPoolPut() {
			poolPuts = append(poolPuts, c.path[strings.LastIndex(c.path, "/")+1:])
		}
	}
	if len(poolPuts) != 1 || poolPuts[0] != "user" {
		t.Errorf("agent pool PUTs after the cluster upgrade: %v, want one, for the pool it left behind", poolPuts)
	}
}

func TestUpgradeReusesDescribesReadWithIfMatch(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	for _, op := range []cluster.Operation{
		full("", "reuse-full", "1.30.11"),
		{ID: "reuse-cp", Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.11"},
	} {
		t.Run(op.ID, func(t *testing.T) {
			op.ClusterID = sim.twoPoolCluster(t, op.ID, simRegion, "0", nil)
			c, err := p.Describe(context.Background(), op.ClusterID)
			if err != nil {
				t.Fatal(err)
			}
			op.Basis = c.Basis
			etag := clusterETag(t, sim, op.ClusterID)
			n := rec.count()
			r, err := upgrade(t, p, op)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.wait(t); err != nil {
				t.Fatal(err)
			}
			got := rec.since(n)
			if len(got) == 0 || !got[0].isClusterPut() {
				t.Fatalf("the upgrade's first request is %+v, want the managed cluster PUT (the cluster was read by Describe)", got)
			}
			if got[0].ifMatch != etag {
				t.Errorf("the PUT based on Describe's read carries If-Match %q, want the eTag read, %q", got[0].ifMatch, etag)
			}
			for _, c := range got[1:] {
				if c.ifMatch != "" {
					t.Errorf("%s %s carries If-Match %q: only the write based on Describe's read does", c.method, c.path, c.ifMatch)
				}
			}
		})
	}
}

func TestChangedClusterIsReadAgainNotOverwritten(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "changed", simRegion, "0", nil)
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes the cluster between Describe and Upgrade.
	(&simFixture{sim: sim}).do(t, http.MethodPatch, sim.srv.URL+id, `{"tags":{"sim-upgrade-seconds":"0","owner":"platform"}}`)

	n := rec.count()
	op := full(id, "changed-1", "1.30.11")
	op.Basis = c.Basis
	r, err := upgrade(t, p, op)
	if err != nil {
		t.Fatalf("Upgrade after the cluster changed: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	atTarget(t, p, id, "1.30.11")
	got := rec.since(n)
	if len(got) < 3 || !got[0].isClusterPut() || got[0].status != http.StatusPreconditionFailed ||
		!got[1].isClusterGet() || !got[2].isClusterPut() || got[2].status/100 != 2 {
		t.Fatalf("requests after the change: %+v; want the conditional PUT refused with 412, a fresh GET, and a PUT", got)
	}
	var mc struct {
		Tags map[string]string `json:"tags"`
	}
	if err := json.Unmarshal((&simFixture{sim: sim}).do(t, http.MethodGet, sim.srv.URL+id, ""), &mc); err != nil {
		t.Fatal(err)
	}
	if mc.Tags["owner"] != "platform" {
		t.Errorf("tags after the upgrade: %v; the change made after Describe was overwritten", mc.Tags)
	}
	if got := sim.operations(id); got != 1 {
		t.Errorf("began %d upgrade operations, want 1", got)
	}
}

func TestResumeNeverUsesDescribesRead(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "resumed", simRegion, "0", nil)
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	op := full(id, "resumed-1", "1.30.11")
	op.Basis, op.Resume = c.Basis, true
	n := rec.count()
	r, err := upgrade(t, p, op)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	atTarget(t, p, id, "1.30.11")
	got := rec.since(n)
	if len(got) == 0 || !got[0].isClusterGet() {
		t.Fatalf("a resumed upgrade's first request is %+v, want a fresh GET of the cluster", got)
	}
	for _, c := range got {
		if c.ifMatch != "" {
			t.Errorf("%s %s carries If-Match %q: a resumed upgrade bases nothing on Describe's read", c.method, c.path, c.ifMatch)
		}
	}
}

func TestUpgradeWithoutItsBasisReadsAfresh(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "unbased", simRegion, "0", nil)
	other := sim.twoPoolCluster(t, "other", simRegion, "0", nil)
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	o, err := p.Describe(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	// No basis, or another cluster's: the upgrade reads its cluster.
	for i, b := range []any{nil, o.Basis} {
		n := rec.count()
		op := cluster.Operation{ID: fmt.Sprintf("unbased-%d", i), ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.29.15", Basis: b}
		if i == 1 {
			op.KubernetesVersion = "1.30.11"
		}
		r, err := upgrade(t, p, op)
		if err != nil || r.wait(t) != nil {
			t.Fatalf("upgrade %d: %v", i, err)
		}
		if got := rec.since(n); len(got) == 0 || !got[0].isClusterGet() || got[0].clusterName() != "unbased" {
			t.Errorf("upgrade %d began with %+v, want a fresh GET of its cluster", i, got)
		}
	}

	// A basis older than the cluster's last change: the write based on it
	// is refused, and the cluster read afresh.
	n := rec.count()
	op := full(id, "unbased-old", "1.30.11")
	op.Basis = c.Basis
	r, err := upgrade(t, p, op)
	if err != nil || r.wait(t) != nil {
		t.Fatalf("upgrade from an old basis: %v", err)
	}
	got := rec.since(n)
	if len(got) < 2 || !got[0].isClusterPut() || got[0].status != http.StatusPreconditionFailed || !got[1].isClusterGet() {
		t.Errorf("an upgrade from an old basis sent %+v, want a PUT refused with 412, then a GET", got)
	}
	for _, c := range got[1:] {
		if c.ifMatch != "" {
			t.Errorf("%s %s carries If-Match %q: only the write based on the basis does", c.method, c.path, c.ifMatch)
		}
	}
	atTarget(t, p, id, "1.30.11")
}

func TestNodeImageOnlyReadsAfresh(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id := sim.twoPoolCluster(t, "images", simRegion, "0", nil)
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := rec.count()
	r, err := upgrade(t, p, cluster.Operation{ID: "images-1", ClusterID: id, Type: cluster.NodeImageOnly, NodeImages: cluster.ImageTarget{Latest: true}, Basis: c.Basis})
	if err != nil || r.wait(t) != nil {
		t.Fatalf("upgrade: %v", err)
	}
	// Its first step is a POST, which cannot be made conditional on the
	// cluster's eTag.
	if got := rec.since(n); len(got) == 0 || !got[0].isClusterGet() {
		t.Errorf("a node image upgrade began with %+v, want a fresh GET", got)
	}
}

// replaceBody makes body the request's JSON body.
func replaceBody(r *http.Request, body any) {
	b, _ := json.Marshal(body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
