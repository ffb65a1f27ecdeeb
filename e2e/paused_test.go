package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

// cloudWrites is a proxy in front of the simulated cloud that records when
// each request that changes something (anything but a GET) arrives.
type cloudWrites struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *cloudWrites) since(t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.times {
		if at.After(t) {
			n++
		}
	}
	return n
}

func proxyTo(t *testing.T, target string) (*httptest.Server, *cloudWrites) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rec := &cloudWrites{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			rec.mu.Lock()
			rec.times = append(rec.times, time.Now())
			rec.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// TestPausedOwnerNeverActsAfterLosingItsLease stops the replica driving a
// run (SIGSTOP) for longer than its lease, lets another replica take the
// run over, then resumes it (SIGCONT). The resumed replica must send the
// cloud nothing that changes anything, must let go of the run, and the
// run must complete with no upgrade begun twice.
func TestPausedOwnerNeverActsAfterLosingItsLease(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for tens of seconds")
	}
	dsn := pgtest.Start(t)
	ctx := context.Background()
	simAddr := freeAddr(t)
	start(t, simAddr, []string{"CARAVAN_TOKEN=sim-secret"}, "simulate", "--addr", simAddr)
	const ttl = 3 * time.Second
	type member struct {
		addr   string
		proc   *process
		writes *cloudWrites
	}
	var replicas []*member
	for range 3 {
		proxy, writes := proxyTo(t, "http://"+simAddr)
		r := &member{addr: freeAddr(t), writes: writes}
		r.proc = start(t, r.addr, []string{"CARAVAN_TOKEN=secret", "CARAVAN_ARM_TOKEN=sim-secret"},
			"serve", "--addr", r.addr, "--data", t.TempDir(), "--db", dsn, "--arm-endpoint", proxy.URL,
			"--recheck-interval", "1s", "--lease-ttl", ttl.String(), "--lease-interval", "1s")
		replicas = append(replicas, r)
	}
	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(replicas[0].addr))
	if err != nil {
		t.Fatal(err)
	}
	p, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "paused", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	wait(t, p, err)
	for i := range 6 {
		name := fmt.Sprintf("p%d", i)
		p1, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location:   to.Ptr("eastus"),
			Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr("1")},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p1, err)
		id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		p2, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", "paused", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(id), Group: to.Ptr("one")}}, nil)
		wait(t, p2, err)
	}
	p3, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", "paused", "run", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		Strategy:             &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{{Name: to.Ptr("only"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("one")}}}}},
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")}},
	}}, nil)
	wait(t, p3, err)
	// Started through the third replica, which then drives it.
	fcOwner, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(replicas[2].addr))
	if err != nil {
		t.Fatal(err)
	}
	p4, err := fcOwner.NewUpdateRunsClient().BeginStart(ctx, "rg", "paused", "run", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, replicas[2].proc.out)
	}
	wait(t, p4, err)
	owner := replicas[2]
	if driving(t, owner.addr) != 1 {
		t.Fatal("the replica the run was started through does not drive it")
	}
	// Mid-upgrade: pause the owner past its lease.
	time.Sleep(1500 * time.Millisecond)
	if err := owner.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	t.Cleanup(func() { owner.proc.cmd.Process.Signal(syscall.SIGCONT) })
	deadline := time.Now().Add(20 * time.Second)
	for driving(t, replicas[0].addr)+driving(t, replicas[1].addr) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no other replica took the run over within 20s of its owner's pause")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("taken over %s after the owner was paused", time.Since(stopped).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	resumed := time.Now()
	if err := owner.proc.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	for runState(t, fc, "paused", "run") != fleetsdk.UpdateStateCompleted {
		if time.Now().After(resumed.Add(60 * time.Second)) {
			t.Fatalf("run is %s a minute after the owner resumed", runState(t, fc, "paused", "run"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := owner.writes.since(resumed); n != 0 {
		t.Errorf("the resumed replica sent the cloud %d requests that change something after it lost the lease", n)
	}
	if n := driving(t, owner.addr); n != 0 {
		t.Errorf("the resumed replica drives %d runs, want 0", n)
	}
	count := map[string]int{}
	for _, op := range simOperationsFull(t, simAddr) {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			count[op.Cluster+" "+op.AgentPool+" "+op.Kind+" "+op.Target]++
		}
	}
	for key, n := range count {
		if n > 1 {
			t.Errorf("%s was begun %d times", key, n)
		}
	}
	if len(count) != 6 {
		t.Errorf("%d upgrades begun, want 6", len(count))
	}
}
