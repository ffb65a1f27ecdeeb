package simcloud

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

const testSub = "11111111-2222-3333-4444-555555555555"

// staticToken is a credential that always hands out the same token.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// harness is a simulator behind a real HTTP server, with SDK clients.
type harness struct {
	t        *testing.T
	cloud    *Cloud
	srv      *httptest.Server
	clusters *armcontainerservice.ManagedClustersClient
	pools    *armcontainerservice.AgentPoolsClient
	// requests counts requests per "METHOD path-kind" seen by the server.
	mu       sync.Mutex
	requests []string
	statuses map[int]int
	polls    atomic.Int64
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, cloud: New(opts), statuses: map[int]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(strings.ToLower(r.URL.Path), "/operations/") {
			h.polls.Add(1)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.cloud.ServeHTTP(rec, r)
		h.mu.Lock()
		h.requests = append(h.requests, r.Method+" "+r.URL.Path)
		h.statuses[rec.status]++
		h.mu.Unlock()
	}))
	t.Cleanup(func() {
		h.srv.Close()
		h.cloud.Close()
	})
	f, err := armcontainerservice.NewClientFactory(testSub, staticToken{}, h.clientOptions())
	if err != nil {
		t.Fatalf("error creating client factory: %v", err)
	}
	h.clusters = f.NewManagedClustersClient()
	h.pools = f.NewAgentPoolsClient()
	return h
}

// clientOptions point an SDK client at the harness's server.
func (h *harness) clientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: h.srv.URL, Audience: h.srv.URL},
		}},
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
	}}
}

var fastPoll = &runtime.PollUntilDoneOptions{Frequency: 5 * time.Millisecond}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// clusterBody is a minimal create request.
func clusterBody(region, version string, tags map[string]string, pools ...*armcontainerservice.ManagedClusterAgentPoolProfile) armcontainerservice.ManagedCluster {
	if len(pools) == 0 {
		pools = []*armcontainerservice.ManagedClusterAgentPoolProfile{{
			Name:  to.Ptr("system"),
			Count: to.Ptr[int32](2),
			Mode:  to.Ptr(armcontainerservice.AgentPoolModeSystem),
		}}
	}
	mc := armcontainerservice.ManagedCluster{
		Location:   to.Ptr(region),
		Tags:       map[string]*string{},
		Properties: &armcontainerservice.ManagedClusterProperties{AgentPoolProfiles: pools},
	}
	if version != "" {
		mc.Properties.KubernetesVersion = to.Ptr(version)
	}
	for k, v := range tags {
		mc.Tags[k] = to.Ptr(v)
	}
	return mc
}

// create makes a cluster through the SDK and waits for it.
func (h *harness) create(rg, name string, mc armcontainerservice.ManagedCluster) armcontainerservice.ManagedCluster {
	h.t.Helper()
	p, err := h.clusters.BeginCreateOrUpdate(ctx(h.t), rg, name, mc, nil)
	if err != nil {
		h.t.Fatalf("error starting create of %s: %v", name, err)
	}
	res, err := p.PollUntilDone(ctx(h.t), fastPoll)
	if err != nil {
		h.t.Fatalf("error creating %s: %v", name, err)
	}
	return res.ManagedCluster
}

func (h *harness) get(rg, name string) armcontainerservice.ManagedCluster {
	h.t.Helper()
	res, err := h.clusters.Get(ctx(h.t), rg, name, nil)
	if err != nil {
		h.t.Fatalf("error getting %s: %v", name, err)
	}
	return res.ManagedCluster
}

func (h *harness) getPool(rg, name, pool string) armcontainerservice.AgentPool {
	h.t.Helper()
	res, err := h.pools.Get(ctx(h.t), rg, name, pool, nil)
	if err != nil {
		h.t.Fatalf("error getting pool %s/%s: %v", name, pool, err)
	}
	return res.AgentPool
}

// raw sends a request straight to the server.
func (h *harness) raw(method, path, body string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("error sending %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp, data
}

// armErrorBody decodes an ARM error response.
func armErrorBody(t *testing.T, data []byte) (code, message string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Error.Code == "" {
		t.Fatalf("response is not an ARM error: %s", data)
	}
	return body.Error.Code, body.Error.Message
}

// wantResponseError checks err is an ARM error with the status and code.
func wantResponseError(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v, want an *azcore.ResponseError %d %s", err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("got %d %s, want %d %s: %v", re.StatusCode, re.ErrorCode, status, code, err)
	}
	return re
}

func tagsInstant() map[string]string { return map[string]string{TagUpgradeSeconds: "0"} }

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// pollOnce polls an operation once by hand (no waiting) and reports
// whether it is done.
func pollOnce[T any](t *testing.T, p *runtime.Poller[T]) bool {
	t.Helper()
	if _, err := p.Poll(ctx(t)); err != nil {
		t.Fatalf("error polling: %v", err)
	}
	return p.Done()
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
