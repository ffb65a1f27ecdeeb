package aks_test

import (
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/cluster/clustertest"
	"github.com/caravan-dev/caravan/simcloud"
)

const (
	simToken  = "caravan-test-token"
	simGroup  = "clustertest"
	simRegion = "eastus"
)

// simClock is the simulated cloud's clock: real time plus an offset the
// test can move forward to end long operations at once.
type simClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// simEnv is a simulated cloud behind a real HTTP server on loopback.
type simEnv struct {
	cloud    *simcloud.Cloud
	srv      *httptest.Server
	clock    *simClock
	requests atomic.Int64 // ARM requests served
	polls    atomic.Int64 // operation status requests served
	// follows counts the looks at an operation's end: GETs of a managed
	// cluster or of an operation status after the first write.
	follows atomic.Int64
	writes  atomic.Int64 // PUTs and POSTs served
	conns   atomic.Int64 // TCP connections accepted
}

// newSim starts a simulated cloud that accepts only simToken. wrap, when
// given, stands between the server and the cloud.
func newSim(t *testing.T, opts simcloud.Options, wrap ...func(http.Handler) http.Handler) *simEnv {
	t.Helper()
	e := &simEnv{clock: &simClock{}}
	opts.Now = e.clock.Now
	opts.Authorize = func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+simToken }
	e.cloud = simcloud.New(opts)
	var h http.Handler = e.cloud
	for _, w := range wrap {
		h = w(h)
	}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		path := strings.ToLower(r.URL.Path)
		status := strings.Contains(path, "/operations/")
		if status {
			e.polls.Add(1)
		}
		switch {
		case r.Method == http.MethodPut || r.Method == http.MethodPost:
			e.writes.Add(1)
		case e.writes.Load() > 0 && (status || isClusterPath(path)):
			e.follows.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	e.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			e.conns.Add(1)
		}
	}
	e.srv.Start()
	t.Cleanup(func() {
		e.srv.Close()
		e.cloud.Close()
	})
	return e
}

// isClusterPath reports whether a path (in lower case) names a managed
// cluster resource.
func isClusterPath(path string) bool {
	_, after, ok := strings.Cut(path, "/managedclusters/")
	return ok && after != "" && !strings.Contains(after, "/")
}

// provider returns an AKS provider for the simulated cloud, closed when
// the test ends.
func (e *simEnv) provider(t *testing.T, mut func(*aks.Config)) *aks.Provider {
	t.Helper()
	cfg := aks.Config{
		Endpoint:   e.srv.URL,
		Credential: aks.StaticToken(simToken),
		Retry:      aks.Retry{Delay: 5 * time.Millisecond, MaxDelay: 2 * time.Second},
		Poll:       aks.Poll{Initial: 10 * time.Millisecond, Max: 200 * time.Millisecond},
	}
	if mut != nil {
		mut(&cfg)
	}
	p, err := aks.New(cfg)
	if err != nil {
		t.Fatalf("aks.New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestConformance runs the provider conformance suite against the AKS
// provider talking to the simulated cloud over HTTP.
func TestConformance(t *testing.T) {
	clustertest.Run(t, func(t *testing.T) clustertest.Env {
		sim := newSim(t, simcloud.Options{})
		return clustertest.Env{Provider: sim.provider(t, nil), Cloud: &simFixture{sim: sim}}
	})
}

// simFixture is the conformance suite's hold on the simulated cloud.
type simFixture struct {
	sim *simEnv
}

func (f *simFixture) Region() clustertest.Region {
	for _, r := range f.sim.cloud.Catalog().Regions {
		if r.Name != simRegion {
			continue
		}
		out := clustertest.Region{Name: r.Name, Versions: r.KubernetesVersions, Images: map[string][]string{}}
		for _, img := range r.NodeImages {
			// Linux families only: they can run System pools.
			for _, fam := range []string{simcloud.FamilyUbuntu2204, simcloud.FamilyAzureLinux3} {
				if strings.HasPrefix(img, fam+"-") {
					out.Images[fam] = append(out.Images[fam], img)
				}
			}
		}
		return out
	}
	panic("the default catalog has no region " + simRegion)
}

func (f *simFixture) CreateCluster(t *testing.T, spec clustertest.ClusterSpec) string {
	t.Helper()
	cs := simcloud.ClusterSpec{
		Name: spec.Name, ResourceGroup: simGroup, Region: simRegion,
		KubernetesVersion:  spec.KubernetesVersion,
		Tags:               map[string]string{simcloud.TagUpgradeSeconds: seconds(spec.OperationTime)},
		MaintenanceWindows: spec.MaintenanceWindows,
	}
	if spec.FailUpgrades {
		cs.Tags[simcloud.TagFailUpgrade] = "true"
	}
	for _, p := range spec.Pools {
		sku := simcloud.OSSKUUbuntu
		if strings.HasPrefix(p.NodeImageVersion, simcloud.FamilyAzureLinux3+"-") {
			sku = simcloud.OSSKUAzureLinux
		}
		cs.Pools = append(cs.Pools, simcloud.PoolSpec{
			Name: p.Name, Count: p.Count, Mode: p.Mode, OSType: simcloud.OSTypeLinux, OSSKU: sku,
			KubernetesVersion: p.KubernetesVersion, NodeImageVersion: p.NodeImageVersion,
		})
	}
	id, err := f.sim.cloud.CreateCluster(cs)
	if err != nil {
		t.Fatalf("creating cluster in the simulated cloud: %v", err)
	}
	return id
}

// Occupy runs a node image upgrade the provider did not begin, made to
// last an hour; end moves the simulated clock past it.
func (f *simFixture) Occupy(t *testing.T, id string) func() {
	t.Helper()
	base := f.sim.srv.URL + id
	var mc struct {
		Tags       map[string]string `json:"tags"`
		Properties struct {
			AgentPoolProfiles []struct {
				Name string `json:"name"`
			} `json:"agentPoolProfiles"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(f.do(t, http.MethodGet, base, ""), &mc); err != nil || len(mc.Properties.AgentPoolProfiles) == 0 {
		t.Fatalf("reading cluster %s from the simulated cloud: %v", id, err)
	}
	tags := func(m map[string]string) string {
		b, _ := json.Marshal(map[string]any{"tags": m})
		return string(b)
	}
	long := maps.Clone(mc.Tags)
	long[simcloud.TagUpgradeSeconds] = "3600"
	f.do(t, http.MethodPatch, base, tags(long))
	f.do(t, http.MethodPost, base+"/agentPools/"+mc.Properties.AgentPoolProfiles[0].Name+"/upgradeNodeImageVersion", "")
	return func() {
		f.sim.clock.Advance(time.Hour + time.Second)
		f.do(t, http.MethodPatch, base, tags(mc.Tags))
	}
}

// do sends one ARM request to the simulated cloud, expects a 2xx and
// returns the body.
func (f *simFixture) do(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req := httptest.NewRequest(method, url+"?api-version=2025-02-01", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+simToken)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.sim.cloud.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

func (f *simFixture) Began(t *testing.T, id string) int {
	n := 0
	for _, op := range f.sim.cloud.Operations(simcloud.OperationFilter{Cluster: id}) {
		switch op.Kind {
		case simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool, simcloud.KindUpgradeNodeImage:
			n++
		}
	}
	return n
}

func (f *simFixture) FailureCode() string { return simcloud.CodeSimulatedUpgradeFailure }

func (f *simFixture) MissingClusterID() string {
	return "/subscriptions/" + simcloud.DefaultSubscription + "/resourceGroups/" + simGroup + "/providers/Microsoft.ContainerService/managedClusters/missing"
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
