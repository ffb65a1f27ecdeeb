package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/maintenance"
)

// TestKillNineWhileAMemberWaitsForItsWindow runs the real binaries on the
// real clock. One cluster's maintenance window opens at the next whole
// minute (at least a few seconds away, as startTime has minutes); its
// group-mates have none. The server is killed with SIGKILL while the
// member waits for the window and restarted on the same data, twice.
// After the restarts the member still waits; it upgrades once the window
// opens, and the simulated cloud's record shows no operation on its
// cluster that began before the opening.
func TestKillNineWhileAMemberWaitsForItsWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes until a window opens, up to a minute")
	}
	// Mostly waiting for the clock: run beside the other crash test.
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	simAddr, srvAddr, serve := simulatedPair(t, data, "--recheck-interval", "1s")
	srv := serve()

	cf, err := aks.NewClientFactory(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"w1", "x1", "x2"}
	for _, name := range names {
		p, err := cf.NewManagedClustersClient().BeginCreateOrUpdate(ctx, "rg-win", name, aks.ManagedCluster{
			Location: to.Ptr("eastus"),
			Tags:     map[string]*string{"sim-upgrade-seconds": to.Ptr("0.3")},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{
				{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p, err)
	}
	// The window opens at the next whole minute at least 8s away, in
	// a +05:30 offset so that the offset is exercised too.
	opening := time.Now().UTC().Add(8 * time.Second).Truncate(time.Minute).Add(time.Minute)
	ist := time.FixedZone("+05:30", 5*3600+30*60)
	w := maintenance.Window{
		Schedule:      maintenance.Schedule{Daily: &maintenance.Daily{IntervalDays: 1}},
		DurationHours: 4, StartTime: opening.In(ist).Format("15:04"), UTCOffset: "+05:30",
	}
	if _, err := cf.NewMaintenanceConfigurationsClient().CreateOrUpdate(ctx, "rg-win", "w1", maintenance.AutoUpgradeSchedule, aks.MaintenanceConfiguration{
		Properties: &aks.MaintenanceConfigurationProperties{MaintenanceWindow: &aks.MaintenanceWindow{
			Schedule:      &aks.Schedule{Daily: &aks.DailySchedule{IntervalDays: to.Ptr[int32](1)}},
			DurationHours: to.Ptr[int32](4), StartTime: to.Ptr(w.StartTime), UTCOffset: to.Ptr(w.UTCOffset),
		}}}, nil); err != nil {
		t.Fatalf("putting the window: %v", err)
	}

	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(srvAddr))
	if err != nil {
		t.Fatal(err)
	}
	p1, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "win", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	wait(t, p1, err)
	for _, name := range names {
		id := "/subscriptions/" + sub + "/resourceGroups/rg-win/providers/Microsoft.ContainerService/managedClusters/" + name
		p, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", "win", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{
			ClusterResourceID: to.Ptr(id), Group: to.Ptr("g"),
		}}, nil)
		wait(t, p, err)
	}
	p2, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", "win", "r", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{{Name: to.Ptr("s"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("g")}}}}},
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{
			Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")}},
	}}, nil)
	wait(t, p2, err)
	p3, err := fc.NewUpdateRunsClient().BeginStart(ctx, "rg", "win", "r", nil)
	wait(t, p3, err)

	member := func(name string) *fleetsdk.MemberUpdateStatus {
		got, err := fc.NewUpdateRunsClient().Get(ctx, "rg", "win", "r", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got.Properties.Status.Stages[0].Groups {
			for _, m := range g.Members {
				if *m.Name == name {
					return m
				}
			}
		}
		t.Fatalf("no member %s in the run", name)
		return nil
	}
	wantWaiting := fmt.Sprintf("waiting for it to open at %s", opening.Format(time.RFC3339))
	waitUntil := func(what string, deadline time.Time, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen by %s; w1 is %s: %q\nserver output:\n%s", what, deadline.Format(time.RFC3339), *member("w1").Status.State, deref(member("w1").Message), srv.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitUntil("w1 waiting for its window", opening.Add(-2*time.Second), func() bool {
		m := member("w1")
		return *m.Status.State == fleetsdk.UpdateState("Pending") && strings.Contains(deref(m.Message), wantWaiting)
	})
	for i := 0; i < 2 && time.Until(opening) > 3*time.Second; i++ {
		srv.kill()
		srv = serve()
		waitUntil("w1 waiting again after a restart", opening.Add(-time.Second), func() bool {
			m := member("w1")
			return *m.Status.State == fleetsdk.UpdateState("Pending") && strings.Contains(deref(m.Message), wantWaiting)
		})
	}
	if ops := windowSimOps(t, simAddr, "w1"); len(ops) != 0 {
		t.Fatalf("the cloud began %d operations on w1 before its window opened: %+v", len(ops), ops)
	}
	waitUntil("the run completing", opening.Add(45*time.Second), func() bool {
		return runState(t, fc, "win", "r") == fleetsdk.UpdateStateCompleted
	})

	for _, name := range names {
		ops := windowSimOps(t, simAddr, name)
		if len(ops) == 0 {
			t.Errorf("cluster %s was not upgraded", name)
		}
		for _, op := range ops {
			if name == "w1" && (!w.Open(op.Start) || op.Start.Before(opening)) {
				t.Errorf("cluster w1: %s began at %s, outside its window opening at %s", op.Kind, op.Start.Format(time.RFC3339Nano), opening.Format(time.RFC3339))
			}
			if name != "w1" && !op.Start.Before(opening) {
				t.Errorf("cluster %s: %s began at %s; its group-mate's wait held it up", name, op.Kind, op.Start.Format(time.RFC3339Nano))
			}
			if name == "w1" {
				t.Logf("w1: %s began %v after its window opened", op.Kind, op.Start.Sub(opening))
			}
		}
	}
}

type windowSimOp struct {
	Cluster string    `json:"cluster"`
	Kind    string    `json:"kind"`
	Start   time.Time `json:"start"`
}

// windowSimOps returns the simulated cloud's recorded upgrades of a
// cluster.
func windowSimOps(t *testing.T, addr, cluster string) []windowSimOp {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/simulator/operations", nil)
	req.Header.Set("Authorization", "Bearer sim-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []windowSimOp
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var out []windowSimOp
	for _, op := range all {
		if strings.HasSuffix(op.Cluster, "/"+cluster) && strings.HasPrefix(op.Kind, "Upgrade") {
			out = append(out, op)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
