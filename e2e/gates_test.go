package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// gateAPI is the api-version gates came with.
const gateAPI = "2025-04-01-preview"

// call sends a request to the Fleet API as the operator token and decodes
// the answer into out (when given), returning the status.
func call(t *testing.T, addr, method, path, body string, out any) int {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req, _ := http.NewRequest(method, "http://"+addr+path+sep+"api-version="+gateAPI, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

type gateDoc struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		DisplayName string `json:"displayName"`
		State       string `json:"state"`
		Target      struct {
			ID                  string            `json:"id"`
			UpdateRunProperties map[string]string `json:"updateRunProperties"`
		} `json:"target"`
	} `json:"properties"`
}

type gateRun struct {
	Properties struct {
		Status struct {
			Status struct{ State string } `json:"status"`
			Stages []struct {
				Name   string `json:"name"`
				Status struct{ State string }
				Groups []struct {
					Name       string
					AfterGates []struct {
						GateID string
						Status struct{ State string }
					} `json:"afterGates"`
				}
				BeforeGates []struct {
					DisplayName string
					GateID      string
					Status      struct{ State string }
				} `json:"beforeGates"`
			} `json:"stages"`
		} `json:"status"`
	} `json:"properties"`
}

// TestGatesHoldARunAcrossAKillNine runs a strategy with a before-stage
// gate and an after-group gate through the real binary and the simulated
// cloud: the run waits Pending with no upgrade begun while the first gate
// is pending, a kill -9 and restart leave exactly one gate, and approving
// each gate through its resource moves the run on to the end.
func TestGatesHoldARunAcrossAKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	ctx := context.Background()
	data := t.TempDir()
	simAddr, srvAddr, serve := simulatedPair(t, data, "--recheck-interval", "1s")
	srv := serve()
	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	fleetPath := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/gated"
	if s := call(t, srvAddr, "PUT", fleetPath, `{"location":"eastus"}`, nil); s >= 300 {
		t.Fatalf("fleet: %d", s)
	}
	for i, name := range []string{"g1", "g2"} {
		p, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location:   to.Ptr("eastus"),
			Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr("0.2")},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p, err)
		cid := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		body := fmt.Sprintf(`{"properties":{"clusterResourceId":%q,"group":%q}}`, cid, []string{"one", "two"}[i])
		if s := call(t, srvAddr, "PUT", fleetPath+"/members/"+name, body, nil); s >= 300 {
			t.Fatalf("member %s: %d", name, s)
		}
	}
	// A gate of a type caravan does not know is refused, naming it.
	bad := `{"properties":{"strategy":{"stages":[{"name":"s","groups":[{"name":"one"}],"beforeGates":[{"type":"Vote"}]}]},"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31.8"}}}}`
	if s := call(t, srvAddr, "PUT", fleetPath+"/updateRuns/bad", bad, nil); s != 400 {
		t.Fatalf("a gate of an unknown type: %d, want 400", s)
	}
	run := `{"properties":{"strategy":{"stages":[
		{"name":"first","beforeGates":[{"displayName":"change board","type":"Approval"}],"groups":[{"name":"one","afterGates":[{"displayName":"smoke test","type":"Approval"}]}]},
		{"name":"second","groups":[{"name":"two"}]}]},
		"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31.8"}}}}`
	if s := call(t, srvAddr, "PUT", fleetPath+"/updateRuns/r", run, nil); s >= 300 {
		t.Fatalf("run: %d", s)
	}
	if s := call(t, srvAddr, "POST", fleetPath+"/updateRuns/r/start", "", nil); s != 200 {
		t.Fatalf("start: %d", s)
	}

	pending := func() []gateDoc {
		var page struct{ Value []gateDoc }
		if s := call(t, srvAddr, "GET", fleetPath+"/gates?$filter="+strings.ReplaceAll("properties/state eq 'Pending'", " ", "%20"), "", &page); s != 200 {
			t.Fatalf("list gates: %d", s)
		}
		return page.Value
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30s for %s\nserver output:\n%s", what, srv.out)
			}
		}
	}
	getRun := func() gateRun {
		var r gateRun
		if s := call(t, srvAddr, "GET", fleetPath+"/updateRuns/r", "", &r); s != 200 {
			t.Fatalf("get run: %d", s)
		}
		return r
	}
	waitFor("the before-stage gate", func() bool { return len(pending()) == 1 })
	g := pending()[0]
	if g.Properties.DisplayName != "change board" || g.Properties.Target.UpdateRunProperties["stage"] != "first" || g.Properties.Target.UpdateRunProperties["timing"] != "Before" {
		t.Fatalf("gate %+v", g)
	}
	r := getRun()
	if st := r.Properties.Status; st.Status.State != "Pending" || st.Stages[0].Status.State != "Pending" || st.Stages[0].BeforeGates[0].GateID != g.ID {
		t.Fatalf("run at its gate: %+v", st)
	}

	// kill -9 while the gate is pending: the restarted server holds the
	// same one gate, and nothing has begun in the cloud.
	srv.kill()
	srv = serve()
	time.Sleep(300 * time.Millisecond) // let a wrongly resumed run show itself
	var all struct{ Value []gateDoc }
	call(t, srvAddr, "GET", fleetPath+"/gates", "", &all)
	if len(all.Value) != 1 || all.Value[0].ID != g.ID || all.Value[0].Properties.State != "Pending" {
		t.Fatalf("after kill -9, gates %+v", all.Value)
	}
	for _, op := range simOperationRecords(t, simAddr) {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			t.Fatalf("the cloud began %s on %s while the gate was pending", op.Kind, op.Cluster)
		}
	}
	// Only Completed may be set.
	if s := call(t, srvAddr, "PATCH", fleetPath+"/gates/"+g.Name, `{"properties":{"state":"Pending"}}`, nil); s != 400 {
		t.Fatalf("PATCH to Pending: %d, want 400", s)
	}
	var approved gateDoc
	if s := call(t, srvAddr, "PATCH", fleetPath+"/gates/"+g.Name, `{"properties":{"state":"Completed"}}`, &approved); s != 200 || approved.Properties.State != "Completed" {
		t.Fatalf("approve: %d %+v", s, approved)
	}
	if s := call(t, srvAddr, "PATCH", fleetPath+"/gates/"+g.Name, `{"properties":{"state":"Completed"}}`, nil); s != 200 {
		t.Fatalf("approve again: %d, want 200", s)
	}
	waitFor("the after-group gate", func() bool {
		p := pending()
		return len(p) == 1 && p[0].Properties.Target.UpdateRunProperties["group"] == "one"
	})
	g2 := pending()[0]
	if r := getRun(); r.Properties.Status.Stages[0].Groups[0].AfterGates[0].Status.State != "Pending" || r.Properties.Status.Status.State != "Pending" {
		t.Fatalf("run at the after-group gate: %+v", r.Properties.Status)
	}
	if s := call(t, srvAddr, "PATCH", fleetPath+"/gates/"+g2.Name, `{"properties":{"state":"Completed"}}`, nil); s != 200 {
		t.Fatalf("approve the after gate: %d", s)
	}
	waitFor("the run to complete", func() bool { return getRun().Properties.Status.Status.State == "Completed" })
	for _, name := range []string{"g1", "g2"} {
		got, err := mc.Get(ctx, "rg-clusters", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v := *got.Properties.CurrentKubernetesVersion; v != "1.31.8" {
			t.Errorf("cluster %s is at %s, want 1.31.8", name, v)
		}
	}
	call(t, srvAddr, "GET", fleetPath+"/gates", "", &all)
	if len(all.Value) != 2 {
		t.Fatalf("%d gates at the end, want 2", len(all.Value))
	}
}
