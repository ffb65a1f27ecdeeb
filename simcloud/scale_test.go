package simcloud

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

func TestConcurrentUpgradesAcrossClusters(t *testing.T) {
	h := newHarness(t, Options{})
	const n = 100
	for i := range n {
		seedTwoPools(t, h.cloud, fmt.Sprintf("c%03d", i), "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "0.05"})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("c%03d", i)
			mc := armcontainerservice.ManagedCluster{Properties: &armcontainerservice.ManagedClusterProperties{
				KubernetesVersion: to.Ptr("1.31.2"),
				AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{{Name: to.Ptr("user"), OrchestratorVersion: to.Ptr("1.31.2")}},
			}}
			p, err := h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", name, mc, nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx(t), fastPoll)
			}
			if err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range n {
		name := fmt.Sprintf("c%03d", i)
		ops := h.cloud.Operations(OperationFilter{Cluster: name})
		if len(ops) != 2 || ops[0].Kind != KindUpgradeControlPlane || ops[1].AgentPool != "user" || ops[1].Result != ResultSucceeded {
			t.Fatalf("%s operations: %+v", name, ops)
		}
	}
}

func TestConcurrentRequestsOnOneClusterStartOneOperation(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "3600"})
	var accepted, conflicts atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				mc := armcontainerservice.ManagedCluster{Properties: &armcontainerservice.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.31.2")}}
				_, err = h.clusters.BeginCreateOrUpdate(ctx(t), "rg1", "alpha", mc, nil)
			} else {
				_, err = h.pools.BeginUpgradeNodeImageVersion(ctx(t), "rg1", "alpha", "user", nil)
			}
			var re *azcore.ResponseError
			switch {
			case err == nil:
				accepted.Add(1)
			case errors.As(err, &re) && re.StatusCode == http.StatusConflict:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 || conflicts.Load() != 19 {
		t.Fatalf("accepted %d, conflicts %d; want 1 and 19", accepted.Load(), conflicts.Load())
	}
	if n := len(h.cloud.Operations(OperationFilter{Cluster: "alpha"})); n != 1 {
		t.Fatalf("%d operations recorded", n)
	}
}

func TestTenThousandClusters(t *testing.T) {
	cl := New(Options{PageSize: 500})
	defer cl.Close()
	regions := []string{"eastus", "westeurope", "southeastasia", "westus2"}
	for i := range 10000 {
		_, err := cl.CreateCluster(ClusterSpec{
			Name: fmt.Sprintf("member-%05d", i), ResourceGroup: fmt.Sprintf("rg-%02d", i%50), Region: regions[i%len(regions)],
			KubernetesVersion: "1.31", Tags: tagsInstant(),
			Pools: []PoolSpec{{Name: "system", Mode: "System"}, {Name: "user", Count: 5}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	cl.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/subscriptions/"+DefaultSubscription+"/providers/Microsoft.ContainerService/managedClusters?api-version=2025-02-01", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "$skipToken") {
		t.Fatalf("list: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/subscriptions/"+DefaultSubscription+"/resourceGroups/rg-07/providers/Microsoft.ContainerService/managedClusters/member-00007/agentPools/user/upgradeNodeImageVersion?api-version=2025-02-01", nil)
	cl.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("image upgrade: %d %s", rec.Code, rec.Body)
	}
}

func BenchmarkCreateCluster(b *testing.B) {
	cl := New(Options{})
	defer cl.Close()
	for i := 0; b.Loop(); i++ {
		if _, err := cl.CreateCluster(ClusterSpec{Name: fmt.Sprintf("c%d", i), ResourceGroup: "rg", Region: "eastus"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetCluster(b *testing.B) {
	cl := New(Options{})
	defer cl.Close()
	if _, err := cl.CreateCluster(ClusterSpec{Name: "c", ResourceGroup: "rg", Region: "eastus"}); err != nil {
		b.Fatal(err)
	}
	path := "/subscriptions/" + DefaultSubscription + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c?api-version=2025-02-01"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			cl.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
}

func BenchmarkNodeImageUpgrade(b *testing.B) {
	cl := New(Options{})
	defer cl.Close()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("c%d", i)
		if _, err := cl.CreateCluster(ClusterSpec{Name: name, ResourceGroup: "rg", Region: "eastus", Tags: tagsInstant()}); err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		cl.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/subscriptions/"+DefaultSubscription+"/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"+name+"/agentPools/nodepool1/upgradeNodeImageVersion?api-version=1", nil))
		if rec.Code != http.StatusAccepted {
			b.Fatal(rec.Code)
		}
	}
}
