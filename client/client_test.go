package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

const token = "client-test-token"

// start runs a real caravan server in-process with a simulated cloud and
// returns a client for it.
func start(t *testing.T) (*server.Server, *client.Client) {
	t.Helper()
	srv, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: token, Simulate: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	c, err := client.New(client.Config{URL: srv.URL, Token: token, ResourceGroup: "rg"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestFleetsMembersStrategiesRuns(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	ref := fleet.FleetRef{Fleet: "f1"}
	f, err := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus", Tags: map[string]string{"env": "test"}})
	if err != nil || f.Name != "f1" || f.ETag == "" || f.Tags["env"] != "test" {
		t.Fatalf("put fleet: %+v %v", f, err)
	}
	// A stale If-Match is a 412 *Error; If-None-Match * refuses to
	// overwrite.
	_, err = c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}, client.IfMatch("stale"))
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err = c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}, client.IfNoneMatch("*"))
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	if _, err := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}, client.IfMatch(f.ETag)); err != nil {
		t.Fatal(err)
	}

	id, err := srv.Cloud.CreateCluster(simcloud.ClusterSpec{Name: "c1", ResourceGroup: "aks", Region: "westeurope", KubernetesVersion: "1.31.4", Tags: map[string]string{"sim-upgrade-seconds": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.PutMember(ctx, ref, "m1", fleet.Member{Properties: fleet.MemberProperties{ClusterResourceID: id, Group: "canary"}})
	if err != nil || m.Properties.Cluster == nil || m.Properties.Cluster.Region != "westeurope" {
		t.Fatalf("put member: %+v %v", m, err)
	}
	group := "prod"
	m, err = c.UpdateMember(ctx, ref, "m1", client.MemberUpdate{Group: &group, Labels: map[string]string{"tier": "gold"}})
	if err != nil || m.Properties.Group != "prod" || m.Properties.Labels["tier"] != "gold" {
		t.Fatalf("update member: %+v %v", m, err)
	}
	if got, err := c.GetMember(ctx, ref, "m1"); err != nil || got.Properties.Cluster.KubernetesVersion != "1.31.4" {
		t.Fatalf("get member: %+v %v", got, err)
	}

	s, err := c.PutStrategy(ctx, ref, "safe", fleet.RunStrategy{Stages: []fleet.Stage{{Name: "all", Groups: []fleet.Group{{Name: "prod", MaxConcurrency: "50%"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := c.StrategyID(ref, "safe")
	if s.ID != sid {
		t.Errorf("strategy id %s, want %s", s.ID, sid)
	}
	run, err := c.PutRun(ctx, ref, "r1", fleet.UpdateRunProperties{UpdateStrategyID: s.ID, ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeControlPlaneOnly, KubernetesVersion: "1.32"}}})
	if err != nil || run.Properties.Status.Status.State != fleet.NotStarted {
		t.Fatalf("put run: %+v %v", run, err)
	}
	_, err = c.StartRun(ctx, ref, "r1", client.IfMatch("stale"))
	wantStatus(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	started, err := c.StartRun(ctx, ref, "r1", client.IfMatch(run.ETag))
	if err != nil || started.Properties.Status.Status.State != fleet.Running {
		t.Fatalf("start: %+v %v", started, err)
	}
	_, err = c.DeleteRun(ctx, ref, "r1")
	wantStatus(t, err, http.StatusConflict, "Conflict")
	_, err = c.SkipRun(ctx, ref, "r1", []fleet.SkipTarget{{Type: fleet.SkipGroup, Name: "nope"}})
	wantStatus(t, err, http.StatusBadRequest, "")
	if done := waitRun(t, c, ref, "r1"); done.Properties.Status.Status.State != fleet.Completed {
		t.Fatalf("run ended %s", done.Properties.Status.Status.State)
	}
	_, err = c.StopRun(ctx, ref, "r1")
	wantStatus(t, err, http.StatusConflict, "Conflict")
	runs, err := c.ListRuns(ctx, ref)
	if err != nil || len(runs) != 1 {
		t.Fatalf("list runs: %v %v", runs, err)
	}

	// The simulator's record holds the upgrade the run began.
	ops, err := c.SimulatorOperations(ctx, simcloud.OperationFilter{Cluster: "c1", Kind: simcloud.KindUpgradeControlPlane})
	if err != nil || len(ops) != 1 || ops[0].Target != "1.32.6" {
		t.Fatalf("operations: %+v %v", ops, err)
	}
	regions, err := c.SimulatorCatalog(ctx)
	if err != nil || len(regions) == 0 || regions[0].LatestNodeImages[simcloud.FamilyUbuntu2204] == "" {
		t.Fatalf("catalog: %+v %v", regions, err)
	}

	deleted, err := c.DeleteStrategy(ctx, ref, "safe")
	if err != nil || !deleted {
		t.Fatalf("delete strategy: %v %v", deleted, err)
	}
	if deleted, err = c.DeleteStrategy(ctx, ref, "safe"); err != nil || deleted {
		t.Fatalf("delete a missing strategy: %v %v", deleted, err)
	}
	_, err = c.GetStrategy(ctx, ref, "safe")
	wantStatus(t, err, http.StatusNotFound, "ResourceNotFound")
	if !client.IsNotFound(err) {
		t.Error("IsNotFound is false for a 404")
	}
	_, err = c.GetMember(ctx, fleet.FleetRef{Fleet: "nope"}, "m1")
	wantStatus(t, err, http.StatusNotFound, "")
	_, err = c.ListMembers(ctx, fleet.FleetRef{Fleet: "nope"})
	wantStatus(t, err, http.StatusNotFound, "ParentResourceNotFound")
}

// TestListFollowsNextLink lists more strategies than a page holds.
func TestListFollowsNextLink(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	ref := fleet.FleetRef{Fleet: "f1"}
	if _, err := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}); err != nil {
		t.Fatal(err)
	}
	const n = 130 // the server's pages hold 100
	for i := range n {
		if _, err := c.PutStrategy(ctx, ref, fmt.Sprintf("s%03d", i), fleet.RunStrategy{Stages: []fleet.Stage{{Name: "a", Groups: []fleet.Group{{Name: "g"}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.ListStrategies(ctx, ref)
	if err != nil || len(all) != n || all[0].Name != "s000" || all[n-1].Name != fmt.Sprintf("s%03d", n-1) {
		t.Fatalf("listed %d strategies, %v", len(all), err)
	}
	fleets, err := c.ListFleets(ctx, "", "")
	if err != nil || len(fleets) != 1 {
		t.Fatalf("fleets in the subscription: %v %v", fleets, err)
	}
}

func TestErrors(t *testing.T) {
	srv, _ := start(t)
	ctx := context.Background()
	bad, _ := client.New(client.Config{URL: srv.URL, Token: "wrong", ResourceGroup: "rg"})
	_, err := bad.GetFleet(ctx, fleet.FleetRef{Fleet: "f1"})
	wantStatus(t, err, http.StatusUnauthorized, "AuthenticationFailed")

	gone, _ := client.New(client.Config{URL: "127.0.0.1:1", Token: token, ResourceGroup: "rg"})
	_, err = gone.GetFleet(ctx, fleet.FleetRef{Fleet: "f1"})
	var ue *client.UnreachableError
	if !errors.As(err, &ue) || ue.URL != "http://127.0.0.1:1" {
		t.Fatalf("unreachable server: %T %v", err, err)
	}
	if err := gone.Health(ctx); !errors.As(err, &ue) {
		t.Fatalf("health of an unreachable server: %v", err)
	}

	noGroup, _ := client.New(client.Config{URL: srv.URL, Token: token})
	if _, err := noGroup.GetFleet(ctx, fleet.FleetRef{Fleet: "f1"}); err == nil {
		t.Fatal("a fleet without a resource group was asked for")
	}
	for _, u := range []string{"", "ftp://x", "http://"} {
		if _, err := client.New(client.Config{URL: u}); err == nil {
			t.Errorf("New accepted URL %q", u)
		}
	}
}

// TestNextLinkToAnotherServer checks that the client does not send its
// token to a server other than its own: a nextLink naming another host is
// followed on the client's own server.
func TestNextLinkToAnotherServer(t *testing.T) {
	var sawOther bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawOther = true
		io.WriteString(w, `{"value":[]}`)
	}))
	defer other.Close()
	var paths []string
	own := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path == "/next" {
			io.WriteString(w, `{"value":[{"name":"b"}]}`)
			return
		}
		io.WriteString(w, `{"value":[{"name":"a"}],"nextLink":"`+other.URL+`/next"}`)
	}))
	defer own.Close()
	c, _ := client.New(client.Config{URL: own.URL, Token: token, ResourceGroup: "rg"})
	members, err := c.ListMembers(context.Background(), fleet.FleetRef{Fleet: "f"})
	if err != nil || len(members) != 2 || sawOther || len(paths) != 2 || paths[1] != "/next" {
		t.Fatalf("members %v, err %v, other server called %v, own server saw %q", members, err, sawOther, paths)
	}
}

// waitRun reads a run until it ends, as a client must: the API has no
// notifications.
func waitRun(t *testing.T, c *client.Client, ref fleet.FleetRef, name string) *fleet.UpdateRun {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		run, err := c.GetRun(context.Background(), ref, name)
		if err != nil {
			t.Fatal(err)
		}
		switch run.Properties.Status.Status.State {
		case fleet.Completed, fleet.Failed, fleet.Stopped:
			return run
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("run %s is still %s", name, run.Properties.Status.Status.State)
		}
	}
}

func wantStatus(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *client.Error with status %d", err, err, status)
	}
	if ce.StatusCode != status || (code != "" && ce.Code != code) || ce.Message == "" {
		t.Fatalf("error %+v, want status %d code %q", ce, status, code)
	}
}
