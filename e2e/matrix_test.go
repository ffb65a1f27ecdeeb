package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
	"github.com/caravan-dev/caravan/version"
)

const matrixToken = "matrix-token"

// The default catalog's regions used by the matrix: eastus has every
// Linux node image release, westeurope one fewer, southeastasia two
// fewer, so the latest common image is southeastasia's newest.
var matrixRegions = []struct{ name, newest string }{
	{"eastus", "202505.14.0"},
	{"westeurope", "202504.16.0"},
	{"southeastasia", "202503.18.0"},
}

const (
	matrixFrom   = "1.31.8"
	matrixTo     = "1.32.6"
	matrixOld    = "202501.12.0" // older than every choice
	matrixCommon = "202503.18.0" // the Consistent choice
	matrixCustom = "202502.09.0" // the Custom choice
)

var matrixFamilies = []struct{ pool, sku, family string }{
	{"system", simcloud.OSSKUUbuntu, simcloud.FamilyUbuntu2204},
	{"user", simcloud.OSSKUAzureLinux, simcloud.FamilyAzureLinux3},
}

// matrixCase is one run of the matrix: an upgrade type, a node image
// selection, and pools that start older than the run's choice or newer
// (at their region's newest, as clusters created through AKS are).
type matrixCase struct {
	upgrade fleet.UpgradeType
	sel     fleet.NodeImageSelectionType
	newer   bool
}

func (c matrixCase) name() string {
	start := "older"
	if c.newer {
		start = "newer"
	}
	return strings.ToLower(fmt.Sprintf("%s-%s-%s", c.upgrade, c.sel, start))
}

// startRelease is the release a pool in region r starts at.
func (c matrixCase) startRelease(newest string) string {
	if c.newer {
		return newest
	}
	return matrixOld
}

// wantRelease is the release the cloud must show for a pool that
// started at start in a region whose newest is newest: images never move
// backwards.
func (c matrixCase) wantRelease(start, newest string) string {
	later := func(a, b string) string {
		if version.CompareNodeImages("X-"+a, "X-"+b) >= 0 {
			return a
		}
		return b
	}
	switch {
	case c.upgrade == fleet.UpgradeControlPlaneOnly:
		return start
	case c.sel == fleet.NodeImageLatest:
		return newest
	case c.sel == fleet.NodeImageConsistent:
		return later(start, matrixCommon)
	}
	return later(start, matrixCustom)
}

var imageRE = regexp.MustCompile(`AKS[A-Za-z0-9-]+-\d{6}\.\d+\.\d+`)

// TestMatrixEndsWhereTheCloudSays runs every upgrade type with every node
// image selection, on pools that start older and newer than the run's
// choice, through the engine, the AKS provider and the simulated cloud
// over loopback HTTP. Each cluster's end state is read from the cloud (its
// managed cluster GET and its operation record), not from the run; each
// member's state and message must agree with it, and no message may name
// an image its cluster does not run.
func TestMatrixEndsWhereTheCloudSays(t *testing.T) {
	cloud := simcloud.New(simcloud.Options{Authorize: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+matrixToken }})
	srv := httptest.NewServer(cloud)
	t.Cleanup(func() { srv.Close(); cloud.Close() })

	var cases []matrixCase
	for _, u := range []fleet.UpgradeType{fleet.UpgradeFull, fleet.UpgradeControlPlaneOnly, fleet.UpgradeNodeImageOnly} {
		for _, s := range []fleet.NodeImageSelectionType{fleet.NodeImageLatest, fleet.NodeImageConsistent, fleet.NodeImageCustom} {
			if u == fleet.UpgradeControlPlaneOnly && s != fleet.NodeImageLatest {
				// Refused at creation: the selection would have no
				// effect on a run that leaves node images alone.
				err := fleet.ValidateUpdate("u", fleet.ManagedClusterUpdate{
					Upgrade:            fleet.UpgradeSpec{Type: u, KubernetesVersion: matrixTo},
					NodeImageSelection: &fleet.NodeImageSelection{Type: s},
				})
				if err == nil {
					t.Errorf("a ControlPlaneOnly run with %s node images was accepted", s)
				}
				continue
			}
			for _, newer := range []bool{false, true} {
				cases = append(cases, matrixCase{u, s, newer})
			}
		}
	}

	// Seed every cluster through the simulated cloud's seeding API, its
	// pools at the releases the case starts from.
	seed := simcloud.Seed{}
	for _, c := range cases {
		for _, r := range matrixRegions {
			spec := simcloud.ClusterSpec{
				Name: c.name() + "-" + r.name, ResourceGroup: "rg-matrix", Region: r.name, KubernetesVersion: matrixFrom,
				Tags: map[string]string{simcloud.TagUpgradeSeconds: "0.05"},
			}
			for _, f := range matrixFamilies {
				// Newer pools are seeded as AKS creates them, at their
				// region's newest; older ones at a release.
				image := simcloud.SeedLatestImage
				if !c.newer {
					image = matrixOld
				}
				spec.Pools = append(spec.Pools, simcloud.PoolSpec{
					Name: f.pool, Count: 1, OSType: simcloud.OSTypeLinux, OSSKU: f.sku, NodeImageVersion: image,
				})
			}
			seed.Clusters = append(seed.Clusters, spec)
		}
	}
	body, _ := json.Marshal(seed)
	if code, out := simDo(t, srv.URL, http.MethodPost, "/simulator/seed", string(body)); code != http.StatusCreated {
		t.Fatalf("seeding the simulated cloud: %d %s", code, out)
	}

	provider, err := aks.New(aks.Config{
		Endpoint:   srv.URL,
		Credential: aks.StaticToken(matrixToken),
		Retry:      aks.Retry{Delay: 5 * time.Millisecond, MaxDelay: time.Second},
		Poll:       aks.Poll{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = provider.Close() })

	st := memory.New()
	ended := make(chan string, 1024)
	eng, err := engine.New(engine.Config{
		Store:           st,
		Provider:        provider,
		RecheckInterval: time.Second,
		Persisted: func(rec store.Record) {
			switch fleet.State(rec.State) {
			case fleet.Completed, fleet.Failed, fleet.Stopped:
				ended <- rec.ID
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)

	runs := map[string]matrixCase{}
	for _, c := range cases {
		id := createMatrixRun(t, st, c)
		runs[store.CanonicalID(id)] = c
	}
	for id := range runs {
		if _, err := eng.StartRun(ctx, id, ""); err != nil {
			t.Fatalf("starting %s: %v", id, err)
		}
	}
	timeout := time.After(60 * time.Second)
	for left := len(runs); left > 0; {
		select {
		case id := <-ended:
			if _, ok := runs[store.CanonicalID(id)]; ok {
				left--
			}
		case <-timeout:
			t.Fatalf("%d runs did not end within a minute", left)
		}
	}

	for id, c := range runs {
		t.Run(c.name(), func(t *testing.T) {
			run, _, err := store.Load[fleet.UpdateRun](ctx, st, store.Runs, id)
			if err != nil {
				t.Fatal(err)
			}
			checkMatrixRun(t, srv.URL, cloud, c, run)
		})
	}
}

func createMatrixRun(t *testing.T, st store.Store, c matrixCase) string {
	t.Helper()
	ctx := context.Background()
	ref := fleet.FleetRef{Subscription: "sub-matrix", ResourceGroup: "rg", Fleet: c.name()}
	// Members and runs live in a stored fleet.
	frec, err := store.NewRecord(store.Fleets, ref.ID(), "/subscriptions/"+ref.Subscription+"/resourceGroups/"+ref.ResourceGroup, "f1", "", fleet.Fleet{ID: ref.ID(), Name: ref.Fleet, Type: fleet.TypeFleet, Location: "eastus"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, frec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	var members []fleet.Member
	for _, r := range matrixRegions {
		name := r.name
		m := fleet.Member{
			ID: ref.Child("members", name), Name: name, Type: fleet.TypeMember,
			Properties: fleet.MemberProperties{ClusterResourceID: matrixClusterID(c, r.name)},
		}
		rec, err := store.NewRecord(store.Members, m.ID, ref.ID(), "m1", "", m)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	update := fleet.ManagedClusterUpdate{
		Upgrade:            fleet.UpgradeSpec{Type: c.upgrade},
		NodeImageSelection: &fleet.NodeImageSelection{Type: c.sel},
	}
	if c.upgrade != fleet.UpgradeNodeImageOnly {
		update.Upgrade.KubernetesVersion = matrixTo
	}
	if c.sel == fleet.NodeImageCustom {
		for _, f := range matrixFamilies {
			update.NodeImageSelection.CustomNodeImageVersions = append(update.NodeImageSelection.CustomNodeImageVersions, fleet.NodeImageVersion{Version: f.family + "-" + matrixCustom})
		}
	}
	if err := fleet.ValidateUpdate("properties.managedClusterUpdate", update); err != nil {
		t.Fatal(err)
	}
	status, err := fleet.NewRunStatus(nil, members)
	if err != nil {
		t.Fatal(err)
	}
	run := fleet.UpdateRun{
		ID: ref.Child("updateRuns", "run"), Name: "run", Type: fleet.TypeUpdateRun,
		Properties: fleet.UpdateRunProperties{ProvisioningState: fleet.ProvisioningSucceeded, ManagedClusterUpdate: update, Status: status},
	}
	run.ETag = "r1"
	rec, err := store.NewRecord(store.Runs, run.ID, ref.ID(), "r1", string(fleet.NotStarted), run)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		t.Fatal(err)
	}
	return run.ID
}

func matrixClusterID(c matrixCase, region string) string {
	return "/subscriptions/" + simcloud.DefaultSubscription + "/resourceGroups/rg-matrix/providers/Microsoft.ContainerService/managedClusters/" + c.name() + "-" + region
}

// cloudCluster is what the simulated cloud's managed cluster GET shows.
type cloudCluster struct {
	Properties struct {
		CurrentKubernetesVersion string `json:"currentKubernetesVersion"`
		AgentPoolProfiles        []struct {
			Name                       string `json:"name"`
			CurrentOrchestratorVersion string `json:"currentOrchestratorVersion"`
			NodeImageVersion           string `json:"nodeImageVersion"`
		} `json:"agentPoolProfiles"`
	} `json:"properties"`
}

func checkMatrixRun(t *testing.T, base string, cloud *simcloud.Cloud, c matrixCase, run *fleet.UpdateRun) {
	status := run.Properties.Status
	if status.Status.State != fleet.Completed {
		t.Errorf("run is %s (error %+v), want Completed", status.Status.State, status.Status.Error)
	}
	members := map[string]fleet.MemberStatus{}
	for _, s := range status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				members[m.Name] = m
			}
		}
	}
	spread := map[string]int{}
	for _, r := range matrixRegions {
		id := matrixClusterID(c, r.name)
		code, body := simDo(t, base, http.MethodGet, id+"?api-version=2025-02-01", "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", id, code, body)
		}
		var got cloudCluster
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		wantCP, wantPool := matrixTo, matrixFrom
		switch c.upgrade {
		case fleet.UpgradeNodeImageOnly:
			wantCP = matrixFrom
		case fleet.UpgradeControlPlaneOnly:
		default:
			wantPool = matrixTo
		}
		if got.Properties.CurrentKubernetesVersion != wantCP {
			t.Errorf("%s: the cloud shows control plane %s, want %s", r.name, got.Properties.CurrentKubernetesVersion, wantCP)
		}
		start := c.startRelease(r.newest)
		want := c.wantRelease(start, r.newest)
		onCloud := map[string]string{}
		allAtStart := true
		for _, p := range got.Properties.AgentPoolProfiles {
			fam := version.ImageFamily(p.NodeImageVersion)
			onCloud[p.Name] = p.NodeImageVersion
			spread[p.NodeImageVersion]++
			if p.CurrentOrchestratorVersion != wantPool {
				t.Errorf("%s: the cloud shows pool %s at %s, want %s", r.name, p.Name, p.CurrentOrchestratorVersion, wantPool)
			}
			if p.NodeImageVersion != fam+"-"+want {
				t.Errorf("%s: the cloud shows pool %s on %s, want %s-%s", r.name, p.Name, p.NodeImageVersion, fam, want)
			}
			allAtStart = allAtStart && want == start
		}

		// The operation record: every upgrade succeeded, none moved an
		// image backwards, none touched pools of a ControlPlaneOnly run,
		// and a member that was skipped saw no upgrade at all.
		ops := cloud.Operations(simcloud.OperationFilter{Cluster: id})
		upgrades := 0
		for _, op := range ops {
			switch op.Kind {
			case simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool, simcloud.KindUpgradeNodeImage:
			default:
				continue
			}
			upgrades++
			if op.Result != simcloud.ResultSucceeded {
				t.Errorf("%s: operation %s %s %s ended %s", r.name, op.Kind, op.AgentPool, op.Target, op.Result)
			}
			if c.upgrade == fleet.UpgradeControlPlaneOnly && op.Kind != simcloud.KindUpgradeControlPlane {
				t.Errorf("%s: a ControlPlaneOnly run did %s on pool %s", r.name, op.Kind, op.AgentPool)
			}
			img := op.NodeImageVersion
			if op.Kind == simcloud.KindUpgradeNodeImage {
				img = op.Target
			}
			if img != "" && version.CompareNodeImages(img, version.ImageFamily(img)+"-"+start) < 0 {
				t.Errorf("%s: operation %s moved pool %s back to %s from %s", r.name, op.Kind, op.AgentPool, img, start)
			}
		}

		m := members[r.name]
		t.Logf("%s: %s %q; the cloud shows %v", r.name, m.Status.State, m.Message, onCloud)
		skip := c.upgrade == fleet.UpgradeNodeImageOnly && allAtStart
		switch {
		case skip:
			if m.Status.State != fleet.Skipped || !strings.Contains(m.Message, "already at the target") {
				t.Errorf("%s: member is %s (%q), want Skipped as already at the target", r.name, m.Status.State, m.Message)
			}
			if upgrades != 0 {
				t.Errorf("%s: skipped member's cluster saw %d upgrade operations", r.name, upgrades)
			}
		default:
			if m.Status.State != fleet.Completed {
				t.Errorf("%s: member is %s (%q, error %+v), want Completed", r.name, m.Status.State, m.Message, m.Status.Error)
			}
			if upgrades == 0 {
				t.Errorf("%s: member Completed with no upgrade operation in the cloud's record", r.name)
			}
		}
		// Messages name only images the cluster runs, and name every
		// pool that kept a newer image than the run's choice.
		for _, img := range imageRE.FindAllString(m.Message, -1) {
			if !slices.Contains(slices.Collect(mapValues(onCloud)), img) {
				t.Errorf("%s: member's message names %s, which no pool of the cluster runs: %q", r.name, img, m.Message)
			}
		}
		kept := c.upgrade != fleet.UpgradeControlPlaneOnly && c.sel != fleet.NodeImageLatest && want == start && start != matrixChoice(c)
		for _, f := range matrixFamilies {
			note := f.pool + " keeps " + f.family + "-" + start
			if kept != strings.Contains(m.Message, note) {
				t.Errorf("%s: member's message %q; naming %q as kept: want %v", r.name, m.Message, note, kept)
			}
		}
		if m.Status.State == fleet.Completed && c.upgrade != fleet.UpgradeControlPlaneOnly {
			for pool, img := range onCloud {
				if !strings.Contains(m.Message, img) || !strings.Contains(m.Message, pool) {
					t.Errorf("%s: member's message %q does not say pool %s is on %s", r.name, m.Message, pool, img)
				}
			}
		}
	}

	// The run's status shows the spread of images the cloud shows.
	sel := status.NodeImageSelection
	switch {
	case c.upgrade == fleet.UpgradeControlPlaneOnly || c.sel == fleet.NodeImageLatest:
	case sel == nil:
		t.Errorf("run records no node image selection")
	default:
		got := map[string]int{}
		for _, ic := range sel.ResultingNodeImageVersions {
			got[ic.Version] = ic.NodePools
		}
		if fmt.Sprint(got) != fmt.Sprint(spread) {
			t.Errorf("run shows the images %v, the cloud shows %v", got, spread)
		}
		if c.sel == fleet.NodeImageConsistent {
			var chosen []string
			for _, v := range sel.SelectedNodeImageVersions {
				chosen = append(chosen, v.Version)
			}
			want := []string{simcloud.FamilyAzureLinux3 + "-" + matrixCommon, simcloud.FamilyUbuntu2204 + "-" + matrixCommon}
			if !slices.Equal(chosen, want) {
				t.Errorf("Consistent chose %v, want %v", chosen, want)
			}
		}
		if consistent := len(spread) == len(matrixFamilies); consistent == strings.Contains(sel.Message, "kept a newer image") {
			t.Errorf("run's note %q for a spread of %d images", sel.Message, len(spread))
		}
	}
}

func matrixChoice(c matrixCase) string {
	if c.sel == fleet.NodeImageConsistent {
		return matrixCommon
	}
	return matrixCustom
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

var simClient = &http.Client{Timeout: 10 * time.Second}
var simMu sync.Mutex

// simDo sends one request to the simulated cloud over HTTP.
func simDo(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	simMu.Lock()
	defer simMu.Unlock()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+matrixToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := simClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}
