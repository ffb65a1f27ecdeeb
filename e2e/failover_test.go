package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

var trials = flag.Int("trials", 1, "randomised trials TestFailoverAcrossThreeServers runs")

// replica is one `caravan serve --db` of several on one database.
type replica struct {
	addr, data string
	proc       *process
}

// driving asks a replica's /readyz, with a token, how many runs it drives.
func driving(t *testing.T, addr string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/readyz", nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var body struct{ Detail string }
	json.NewDecoder(resp.Body).Decode(&body)
	m := regexp.MustCompile(`drives (\d+) update runs`).FindStringSubmatch(body.Detail)
	if m == nil {
		t.Fatalf("/readyz of %s does not say how many runs it drives: %q", addr, body.Detail)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestFailoverAcrossThreeServers runs the real binaries: a throwaway
// PostgreSQL, `caravan simulate`, and three `caravan serve --db` replicas
// with the default lease settings. Each trial upgrades a fleet through a
// random replica while replicas are killed with SIGKILL at random moments,
// the run's owner among them; the killed replica starts again once
// another has taken over. Every run must complete, the simulated cloud's
// record must show no (cluster, pool, kind, target) begun twice, and the
// takeover times (from the owner's kill to the next upgrade begun) are
// printed. Run more trials with: go test ./e2e -run Failover -trials 100 -v
func TestFailoverAcrossThreeServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for tens of seconds")
	}
	dsn := pgtest.Start(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	t.Logf("random seed %d", seed)
	simAddr := freeAddr(t)
	start(t, simAddr, []string{"CARAVAN_TOKEN=sim-secret"}, "simulate", "--addr", simAddr)
	replicas := make([]*replica, 3)
	serve := func(r *replica) {
		r.proc = start(t, r.addr, []string{"CARAVAN_TOKEN=secret", "CARAVAN_ARM_TOKEN=sim-secret"},
			"serve", "--addr", r.addr, "--data", r.data, "--db", dsn, "--arm-endpoint", "http://"+simAddr, "--recheck-interval", "1s")
	}
	for i := range replicas {
		replicas[i] = &replica{addr: freeAddr(t), data: t.TempDir()}
		serve(replicas[i])
	}
	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	var takeovers []time.Duration
	kills, done := 0, 0
	for trial := range *trials {
		ctx := context.Background()
		var names []string
		for i := range 5 {
			name := fmt.Sprintf("t%03dc%d", trial, i)
			names = append(names, name)
			pools := []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}
			if i%2 == 0 {
				pools = append(pools, &aks.ManagedClusterAgentPoolProfile{Name: to.Ptr("user"), Count: to.Ptr[int32](2), Mode: to.Ptr(aks.AgentPoolModeUser)})
			}
			p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
				Location:   to.Ptr("eastus"),
				Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr(fmt.Sprintf("%.2f", 0.3+rng.Float64()*0.5))},
				Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: pools},
			}, nil)
			wait(t, p, err)
		}
		via := replicas[rng.IntN(len(replicas))]
		fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(via.addr))
		if err != nil {
			t.Fatal(err)
		}
		fleetName := fmt.Sprintf("f%03d", trial)
		p2, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", fleetName, fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
		wait(t, p2, err)
		for _, m := range names {
			id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + m
			p3, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", fleetName, m, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{
				ClusterResourceID: to.Ptr(id), Group: to.Ptr("one"),
			}}, nil)
			wait(t, p3, err)
		}
		p4, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", fleetName, "run", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
			Strategy: &fleetsdk.UpdateRunStrategy{Stages: []*fleetsdk.UpdateStage{{Name: to.Ptr("only"), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr("one")}}}}},
			ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{
				Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31.8")},
			},
		}}, nil)
		wait(t, p4, err)
		p5, err := fc.NewUpdateRunsClient().BeginStart(ctx, "rg", fleetName, "run", nil)
		wait(t, p5, err)

		// Kill replicas at random moments: the run's owner, or any.
		for k := 0; k < 2; k++ {
			time.Sleep(time.Duration(200+rng.IntN(1200)) * time.Millisecond)
			if runState(t, fc, fleetName, "run") == fleetsdk.UpdateStateCompleted {
				break
			}
			var owners []*replica
			for _, r := range replicas {
				if driving(t, r.addr) > 0 {
					owners = append(owners, r)
				}
			}
			victim := replicas[rng.IntN(len(replicas))]
			if len(owners) > 0 && rng.IntN(2) == 0 {
				victim = owners[rng.IntN(len(owners))]
			}
			owned := slices.Contains(owners, victim)
			if victim == via {
				// Keep asking a live replica.
				for _, r := range replicas {
					if r != victim {
						via = r
					}
				}
				if fc, err = fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(via.addr)); err != nil {
					t.Fatal(err)
				}
			}
			killed := time.Now()
			victim.proc.kill()
			kills++
			if owned {
				if d, ok := nextBegin(t, simAddr, fc, fleetName, killed); ok {
					takeovers = append(takeovers, d)
				}
			}
			serve(victim)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			state := runState(t, fc, fleetName, "run")
			if state == fleetsdk.UpdateStateCompleted {
				break
			}
			if state == fleetsdk.UpdateStateFailed || time.Now().After(deadline) {
				run, _ := fc.NewUpdateRunsClient().Get(ctx, "rg", fleetName, "run", nil)
				b, _ := json.MarshalIndent(run.Properties.Status, "", " ")
				t.Fatalf("trial %d: run is %s\n%s", trial, state, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Nothing of this trial's clusters begun twice, and every
		// upgrade of the run begun.
		count := map[string]int{}
		upgraded := map[string]bool{}
		for _, op := range simOperationRecords(t, simAddr) {
			if strings.HasPrefix(op.Kind, "Upgrade") && strings.HasPrefix(path.Base(op.Cluster), fmt.Sprintf("t%03dc", trial)) {
				count[strings.Join([]string{op.Cluster, op.AgentPool, op.Kind, op.Target}, " ")]++
				upgraded[path.Base(op.Cluster)] = true
			}
		}
		if len(upgraded) != len(names) {
			t.Errorf("trial %d: the simulated cloud recorded upgrades of %d of the run's %d clusters", trial, len(upgraded), len(names))
		}
		for key, n := range count {
			if n > 1 {
				t.Errorf("trial %d: %s was begun %d times", trial, key, n)
			}
		}
		done++
		t.Logf("trial %d: run Completed, %d upgrades each begun once; %d kills, %d takeovers so far", trial, len(count), kills, len(takeovers))
		if t.Failed() {
			break
		}
	}
	slices.Sort(takeovers)
	t.Logf("takeover times: %v", takeovers)
	summary := fmt.Sprintf("failover: %d trials passed, %d kills, %d takeovers of a killed owner's run", done, kills, len(takeovers))
	if len(takeovers) > 0 {
		summary += fmt.Sprintf(", takeover median %s, p90 %s, max %s (bound with the defaults: lease-ttl 6s + lease-interval 2s, plus reading the run and the upgrade in flight)",
			takeovers[len(takeovers)/2], takeovers[len(takeovers)*9/10], takeovers[len(takeovers)-1])
		if max := takeovers[len(takeovers)-1]; max > 10*time.Second {
			t.Errorf("a takeover took %s; want under 10s", max)
		}
	}
	t.Log(summary)
}

// nextBegin waits for the first upgrade begun after since, and reports
// how long after since it began; false if the run completed first.
func nextBegin(t *testing.T, simAddr string, fc *fleetsdk.ClientFactory, fleetName string, since time.Time) (time.Duration, bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, op := range simOperationRecords(t, simAddr) {
			if strings.HasPrefix(op.Kind, "Upgrade") && op.Start.After(since) {
				return op.Start.Sub(since), true
			}
		}
		if runState(t, fc, fleetName, "run") == fleetsdk.UpdateStateCompleted {
			return 0, false
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no upgrade was begun within 30s of killing the run's owner")
	return 0, false
}
