package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// What caravan observed of a member's cluster is kept in the store: a
// restarted server shows it before reading the cloud again, and a cluster
// deleted behind caravan's back reads as not found, not as it last looked.
func TestMemberClusterDataOutlastsARestart(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cloud := fake.New()
	cloud.SetRegion("westeurope", fake.Region{Versions: []string{"1.30.4"}})
	id := clusterID("c1")
	cloud.AddCluster(cluster.Cluster{ID: id, Name: "c1", Region: "westeurope", KubernetesVersion: "1.30.4", ProvisioningState: "Succeeded",
		NodePools: []cluster.NodePool{{Name: "system", KubernetesVersion: "1.30.4", NodeImageVersion: "AKSUbuntu-2204gen2containerd-202409.01.0"}}})
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	serve := func(p cluster.Provider) (*testServer, *api.API) {
		a := api.New(api.Config{Store: st, Clusters: p, Clock: clk})
		srv := httptest.NewServer(a)
		t.Cleanup(srv.Close)
		return &testServer{t: t, url: srv.URL}, a
	}
	memberInfo := func(ts *testServer) *fleet.ClusterInfo {
		var m fleet.Member
		if err := json.Unmarshal([]byte(ts.get(fleetPath(rg, "fleet-1")+"/members/m1"+v1)), &m); err != nil {
			t.Fatal(err)
		}
		var page struct{ Value []fleet.Member }
		if err := json.Unmarshal([]byte(ts.get(fleetPath(rg, "fleet-1")+"/members"+v1)), &page); err != nil || len(page.Value) != 1 {
			t.Fatalf("list: %+v, %v", page, err)
		}
		if a, b := m.Properties.Cluster, page.Value[0].Properties.Cluster; (a == nil) != (b == nil) || (a != nil && (a.Error != b.Error || a.Region != b.Region)) {
			t.Fatalf("GET shows %+v, the list %+v", a, b)
		}
		return m.Properties.Cluster
	}

	first, a1 := serve(cloud)
	first.putFleet(rg, "fleet-1")
	if st, _, msg, _ := first.do("PUT", fleetPath(rg, "fleet-1")+"/members/m1"+v1, member(id)); st != 201 {
		t.Fatalf("create member: %d %s", st, msg)
	}
	a1.Close()

	// Restarted with no cloud to ask: what was seen is still shown.
	second, a2 := serve(nil)
	info := memberInfo(second)
	if info == nil || info.Region != "westeurope" || info.KubernetesVersion != "1.30.4" || len(info.NodeImageVersions) != 1 || info.Error != "" {
		t.Fatalf("after a restart the member shows %+v", info)
	}
	a2.Close()

	// The cluster is deleted; once the observation is stale, reading it
	// again says so, and keeps saying so after another restart.
	cloud.RemoveCluster(id)
	third, a3 := serve(cloud)
	if info := memberInfo(third); info.Error != "" {
		t.Fatalf("a fresh observation is not read again: %+v", info)
	}
	clk.Advance(time.Minute)
	info = memberInfo(third)
	if info == nil || !strings.HasPrefix(info.Error, "not found") || !strings.Contains(info.Error, "delete the member") {
		t.Fatalf("a deleted cluster shows %+v", info)
	}
	a3.Close()
	fourth, a4 := serve(nil)
	defer a4.Close()
	if info := memberInfo(fourth); info == nil || !strings.HasPrefix(info.Error, "not found") {
		t.Fatalf("after a restart a deleted cluster shows %+v", info)
	}
}
