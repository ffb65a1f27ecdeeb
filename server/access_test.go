package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
)

// The callers of the access tests: one token per role, and one the
// server does not know.
const (
	readerToken   = "reader-token"
	operatorToken = "operator-token"
	adminToken    = "admin-token"
	unknownToken  = "unknown-token"
)

type caller struct {
	name, token string
	role        auth.Role // 0: not authenticated
}

var callers = []caller{
	{"anonymous", "", 0},
	{"bad token", unknownToken, 0},
	{"reader", readerToken, auth.Reader},
	{"operator", operatorToken, auth.Operator},
	{"admin", adminToken, auth.Admin},
}

// startAccessServer starts a real server with a simulated cloud and a
// token file naming a reader, an operator and an admin.
func startAccessServer(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "tokens.yaml")
	var b strings.Builder
	b.WriteString("tokens:\n")
	for _, c := range callers[2:] {
		fmt.Fprintf(&b, "  - name: %s\n    role: %s\n    sha256: %s\n", c.name, c.role, auth.Hash(c.token))
	}
	if err := os.WriteFile(tokenFile, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TokenFile = tokenFile
	cfg.Simulate = true
	cfg.RecheckInterval = 100 * time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown() })
	return s
}

// answer is what a raw request got back.
type answer struct {
	status int
	header http.Header
	body   string
}

// send writes one request on a new connection exactly as given (the
// request target is not parsed or cleaned on the way) and reads the
// answer.
func send(t testing.TB, addr, method, target, token, body string) answer {
	t.Helper()
	return sendAs(t, addr, addr, method, target, token, body)
}

// sendWithHost sends a GET with the Host header given.
func sendWithHost(t testing.TB, addr, host, target, token string) answer {
	t.Helper()
	return sendAs(t, addr, host, "GET", target, token, "")
}

func sendAs(t testing.TB, addr, host, method, target, token, body string) answer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, host)
	if token != "" {
		fmt.Fprintf(&req, "Authorization: Bearer %s\r\n", token)
	}
	if body != "" {
		fmt.Fprintf(&req, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	req.WriteString("\r\n" + body)
	// The request is written while the answer is read: a server may
	// answer (413, or a refusal before the body) and close the
	// connection before a large body is all sent, which is no failure.
	wrote := make(chan error, 1)
	go func() {
		_, err := io.WriteString(conn, req.String())
		wrote <- err
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v (writing the request: %v)", method, target, err, <-wrote)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(data)}
}

// snapshot is every record a store holds, by kind and id.
type snapshot map[string]store.Record

func takeSnapshot(t testing.TB, st store.Store) snapshot {
	t.Helper()
	out := snapshot{}
	for _, k := range []store.Kind{store.Fleets, store.Members, store.Strategies, store.Runs, store.AutoUpgradeProfiles} {
		page, err := st.List(context.Background(), store.ListOptions{Kind: k, ParentPrefix: "/"})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range page.Records {
			out[string(k)+" "+rec.ID] = rec
		}
	}
	return out
}

// changed lists the ids whose records were created, changed or deleted.
func changed(before, after snapshot) []string {
	var out []string
	for k, a := range after {
		if b, ok := before[k]; !ok || b.ETag != a.ETag || string(b.Body) != string(a.Body) {
			out = append(out, a.ID)
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			out = append(out, b.ID)
		}
	}
	slices.Sort(out)
	return out
}

// restore puts a store back as the snapshot had it.
func restore(t testing.TB, st store.Store, before snapshot) {
	t.Helper()
	ctx := context.Background()
	after := takeSnapshot(t, st)
	for k, a := range after {
		if _, ok := before[k]; !ok {
			if err := st.Delete(ctx, a.Kind, a.ID, store.Precondition{}); err != nil && err != store.ErrNotFound {
				t.Fatal(err)
			}
		}
	}
	// Parents first: fleets, then what lives in them.
	for _, k := range []store.Kind{store.Fleets, store.Members, store.Strategies, store.Runs, store.AutoUpgradeProfiles} {
		for key, b := range before {
			if b.Kind != k {
				continue
			}
			if a, ok := after[key]; ok && a.ETag == b.ETag && string(a.Body) == string(b.Body) {
				continue
			}
			if err := st.Put(ctx, b, store.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

const (
	accessSub       = "00000000-0000-0000-0000-0000000000ac"
	accessRG        = "rg-access"
	apiVersionQuery = "?api-version=2025-04-01-preview"
)

func clusterID(name string) string {
	return "/subscriptions/" + accessSub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
}

// accessFixture creates, as the admin: fleets f1 and "updateruns" (a
// name that is also a collection's), members m1 and "updateruns" of f1
// on clusters already at the runs' target, strategy s1 and run r1.
func accessFixture(t testing.TB, s *server.Server) {
	t.Helper()
	if _, err := s.Cloud.CreateClusters(&simcloud.Seed{Subscription: accessSub, Clusters: []simcloud.ClusterSpec{
		{Name: "c1", ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.31"},
		{Name: "c2", ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.31"},
	}}); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	base := "/subscriptions/" + accessSub + "/resourceGroups/" + accessRG + "/providers/Microsoft.ContainerService/fleets/"
	for _, step := range []struct{ path, body string }{
		{base + "f1", `{"location":"eastus"}`},
		{base + "updateruns", `{"location":"eastus"}`},
		{base + "f1/members/m1", `{"properties":{"clusterResourceId":"` + clusterID("c1") + `","group":"g1"}}`},
		{base + "f1/members/updateruns", `{"properties":{"clusterResourceId":"` + clusterID("c2") + `","group":"g1"}}`},
		{base + "f1/updateStrategies/s1", strategyBody},
		{base + "f1/updateRuns/r1", runBody},
		{base + "f1/autoUpgradeProfiles/p1", profileBody},
	} {
		if a := send(t, addr, "PUT", step.path+apiVersionQuery, adminToken, step.body); a.status != 201 {
			t.Fatalf("fixture PUT %s: %d %s", step.path, a.status, a.body)
		}
	}
}

const (
	strategyBody = `{"properties":{"strategy":{"stages":[{"name":"st1","groups":[{"name":"g1"}]}]}}}`
	runBody      = `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31"}}}}`
	profileBody  = `{"properties":{"channel":"NodeImage"}}`
)

// accessRoute is one path of the Fleet API, what each method needs and
// answers when allowed, and the body each method sends.
type accessRoute struct {
	name string
	path string
	// named is the canonical id of the resource the path names: a
	// request may change nothing outside it.
	named string
	// need and ok give, per method the route serves, the least role and
	// the status of an allowed request; other methods are 405.
	need   map[string]auth.Role
	ok     map[string]int
	bodies map[string]string
}

// accessGate names a gate no run created.
const accessGate = "0b7d3a52-6f0e-5c1a-9d2e-4f6a8b0c1d2e"

func accessRoutes() []accessRoute {
	rgPath := "/subscriptions/" + accessSub + "/resourceGroups/" + accessRG
	fleets := rgPath + "/providers/Microsoft.ContainerService/fleets"
	f1 := fleets + "/f1"
	id := func(p string) string { return strings.ToLower(p) }
	R, O, A := auth.Reader, auth.Operator, auth.Admin
	return []accessRoute{
		{"subscription's fleets", "/subscriptions/" + accessSub + "/providers/Microsoft.ContainerService/fleets", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"group's fleets", fleets, "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"fleet", f1, id(f1),
			map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "PATCH": 200, "DELETE": 200},
			map[string]string{"PUT": `{"location":"eastus"}`, "PATCH": `{"tags":{"team":"x"}}`}},
		{"fleet named updateruns", fleets + "/updateruns", id(fleets + "/updateruns"),
			map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "PATCH": 200, "DELETE": 200},
			map[string]string{"PUT": `{"location":"eastus"}`, "PATCH": `{"tags":{"team":"x"}}`}},
		{"fleet credentials", f1 + "/listCredentials", id(f1), map[string]auth.Role{"POST": A}, map[string]int{"POST": 400}, nil},
		{"members", f1 + "/members", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"member", f1 + "/members/m1", id(f1 + "/members/m1"),
			map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "PATCH": 200, "DELETE": 200},
			map[string]string{"PUT": `{"properties":{"clusterResourceId":"` + clusterID("c1") + `","group":"g1"}}`, "PATCH": `{"properties":{"labels":{"tier":"gold"}}}`}},
		{"member named updateruns", f1 + "/members/updateruns", id(f1 + "/members/updateruns"),
			map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "PATCH": 200, "DELETE": 200},
			map[string]string{"PUT": `{"properties":{"clusterResourceId":"` + clusterID("c2") + `","group":"g1"}}`, "PATCH": `{"properties":{"labels":{"tier":"gold"}}}`}},
		{"strategies", f1 + "/updateStrategies", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"strategy", f1 + "/updateStrategies/s1", id(f1 + "/updateStrategies/s1"),
			map[string]auth.Role{"GET": R, "PUT": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "DELETE": 200},
			map[string]string{"PUT": strategyBody}},
		{"runs", f1 + "/updateRuns", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"run", f1 + "/updateRuns/r1", id(f1 + "/updateRuns/r1"),
			map[string]auth.Role{"GET": R, "PUT": O, "DELETE": O},
			map[string]int{"GET": 200, "PUT": 200, "DELETE": 200},
			map[string]string{"PUT": runBody}},
		{"run start", f1 + "/updateRuns/r1/start", id(f1 + "/updateRuns/r1"), map[string]auth.Role{"POST": O}, map[string]int{"POST": 200}, nil},
		{"run stop", f1 + "/updateRuns/r1/stop", id(f1 + "/updateRuns/r1"), map[string]auth.Role{"POST": O}, map[string]int{"POST": 409}, nil},
		{"run events", f1 + "/updateRuns/r1/events", id(f1 + "/updateRuns/r1"), map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"run plan", f1 + "/updateRuns/r1/plan", id(f1 + "/updateRuns/r1"), map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"gates", f1 + "/gates", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"gate", f1 + "/gates/" + accessGate, id(f1 + "/gates/" + accessGate),
			map[string]auth.Role{"GET": R, "PATCH": O},
			map[string]int{"GET": 404, "PATCH": 404},
			map[string]string{"PATCH": `{"properties":{"state":"Completed"}}`}},
		{"run skip", f1 + "/updateRuns/r1/skip", id(f1 + "/updateRuns/r1"), map[string]auth.Role{"POST": O}, map[string]int{"POST": 200},
			map[string]string{"POST": `{"targets":[{"type":"Member","name":"m1"}]}`}},
		{"provider operations", "/providers/Microsoft.ContainerService/operations", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"profiles", f1 + "/autoUpgradeProfiles", "", map[string]auth.Role{"GET": R}, map[string]int{"GET": 200}, nil},
		{"profile", f1 + "/autoUpgradeProfiles/p1", id(f1 + "/autoUpgradeProfiles/p1"),
			map[string]auth.Role{"GET": R, "PUT": A, "DELETE": A},
			map[string]int{"GET": 200, "PUT": 200, "DELETE": 200},
			map[string]string{"PUT": profileBody}},
		// generateUpdateRun writes a new run of the profile's fleet.
		{"profile generate", f1 + "/autoUpgradeProfiles/p1/generateUpdateRun", id(f1 + "/updateRuns"), map[string]auth.Role{"POST": O}, map[string]int{"POST": 200}, nil},
	}
}

// spelling is one way of writing a route's path. Those that are not
// canonical are answered 400 whoever asks, whatever the method.
type spelling struct {
	name      string
	spell     func(string) string
	canonical bool
}

var spellings = []spelling{
	{"canonical", func(p string) string { return p }, true},
	{"fixed segments in upper case", upperFixed, true},
	{"all in lower case", strings.ToLower, true},
	{"trailing slash", func(p string) string { return p + "/" }, false},
	{"doubled slash", func(p string) string { i := strings.LastIndex(p, "/"); return p[:i] + "/" + p[i:] }, false},
	{"leading doubled slash", func(p string) string { return "/" + p }, false},
	{"dot segment", func(p string) string { i := strings.LastIndex(p, "/"); return p[:i] + "/." + p[i:] }, false},
	{"dot-dot segment", func(p string) string { return p + "/x/.." }, false},
	{"dot-dot for the last segment", func(p string) string { i := strings.LastIndex(p, "/"); return p[:i] + "/.." }, false},
	{"encoded slash", func(p string) string { i := strings.LastIndex(p, "/"); return p[:i] + "%2F" + p[i+1:] }, false},
	{"encoded dot-dot", func(p string) string { return p + "/%2e%2E" }, false},
}

// upperFixed writes ARM's fixed segments in upper case, leaving names.
func upperFixed(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch strings.ToLower(s) {
		case "subscriptions", "resourcegroups", "providers", "microsoft.containerservice", "fleets",
			"members", "updatestrategies", "updateruns", "gates", "start", "stop", "skip", "plan", "events", "listcredentials",
			"autoupgradeprofiles", "generateupdaterun":
			// A name that is also a keyword stays as it is.
			if i > 0 && (strings.EqualFold(segs[i-1], "fleets") || strings.EqualFold(segs[i-1], "members")) {
				continue
			}
			segs[i] = strings.ToUpper(s)
		}
	}
	return strings.Join(segs, "/")
}

var methods = []string{"GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"}

// TestEveryRouteMethodRoleAndSpelling sends every method to every route
// of the Fleet API, spelled every way, as every kind of caller, through a
// real server, and checks the status and that nothing but the resource
// the path names changed (and, for a write that was let through, that it
// did).
func TestEveryRouteMethodRoleAndSpelling(t *testing.T) {
	s := startAccessServer(t, server.Config{})
	accessFixture(t, s)
	addr := strings.TrimPrefix(s.URL, "http://")
	count := 0
	current := takeSnapshot(t, s.Store)
	for _, rt := range accessRoutes() {
		for _, sp := range spellings {
			for _, m := range methods {
				for _, c := range callers {
					count++
					before := current
					a := send(t, addr, m, sp.spell(rt.path)+apiVersionQuery, c.token, rt.bodies[m])
					need, served := rt.need[m]
					want := 0
					switch {
					case !sp.canonical:
						want = 400
					case c.role == 0:
						want = 401
					case !served:
						want = 405
					case c.role < need:
						want = 403
					default:
						want = rt.ok[m]
					}
					where := fmt.Sprintf("%s %s (%s, %s) as %s", m, sp.spell(rt.path), rt.name, sp.name, c.name)
					if a.status != want {
						t.Errorf("%s: %d, want %d: %s", where, a.status, want, a.body)
					}
					if a.status >= 300 && a.status < 400 {
						t.Errorf("%s: redirected to %q", where, a.header.Get("Location"))
					}
					if !sp.canonical && m != "HEAD" && !strings.Contains(a.body, `"code":"InvalidRequestPath"`) {
						t.Errorf("%s: 400 is not in ARM's shape naming the path: %s", where, a.body)
					}
					if rt.name == "run start" && a.status == 200 {
						waitRunSettled(t, s.Store, rt.named)
					}
					after := takeSnapshot(t, s.Store)
					diff := changed(before, after)
					for _, id := range diff {
						if rt.named == "" || (id != rt.named && !strings.HasPrefix(id, rt.named+"/")) {
							t.Errorf("%s: changed %s, which the path does not name", where, id)
						}
					}
					wrote := a.status < 300 && m != "GET" && m != "HEAD"
					if wrote && len(diff) == 0 {
						t.Errorf("%s: answered %d but changed nothing", where, a.status)
					}
					if !wrote && len(diff) > 0 {
						t.Errorf("%s: answered %d yet changed %v", where, a.status, diff)
					}
					if len(diff) > 0 {
						restore(t, s.Store, before)
					}
				}
			}
		}
	}
	t.Logf("%d requests", count)
}

// waitRunSettled waits until the engine has finished a run it started:
// its members are at the target already, so it ends at once.
func waitRunSettled(t testing.TB, st store.Store, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, err := st.Get(context.Background(), store.Runs, id)
		if err != nil {
			t.Fatal(err)
		}
		switch rec.State {
		case string(fleet.Completed), string(fleet.Failed), string(fleet.Skipped), string(fleet.Stopped):
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s", id, rec.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSimulatedCloudPathsAreCheckedToo sends the hosted simulated
// cloud's paths, and those of a stand-alone simulator, spelled every way:
// reads need a reader, writes an admin, and a path that is not canonical
// is a 400 for every method and caller, never a redirect.
func TestSimulatedCloudPathsAreCheckedToo(t *testing.T) {
	s := startAccessServer(t, server.Config{})
	if _, err := s.Cloud.CreateClusters(&simcloud.Seed{Subscription: accessSub, Clusters: []simcloud.ClusterSpec{
		{Name: "c1", ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.31"},
	}}); err != nil {
		t.Fatal(err)
	}
	sim, err := server.StartSimulator(context.Background(), server.SimConfig{Addr: "127.0.0.1:0", Token: adminToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Shutdown()
	if _, err := sim.Cloud.CreateClusters(&simcloud.Seed{Subscription: accessSub, Clusters: []simcloud.ClusterSpec{
		{Name: "c1", ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.31"},
	}}); err != nil {
		t.Fatal(err)
	}
	cluster := clusterID("c1")
	for _, host := range []string{s.URL, sim.URL} {
		addr := strings.TrimPrefix(host, "http://")
		for _, path := range []string{cluster, cluster + "/agentPools/nodepool1", "/simulator/operations"} {
			for _, sp := range spellings {
				for _, m := range methods {
					for _, c := range callers {
						if host == sim.URL && c.role != 0 && c.role != auth.Admin {
							continue // the stand-alone simulator knows only its admin
						}
						if sp.canonical && c.role == auth.Admin && m != "GET" {
							continue // an admin's writes are served: not what this test is about
						}
						a := send(t, addr, m, sp.spell(path)+"?api-version=2025-02-01", c.token, "")
						where := fmt.Sprintf("%s %s%s (%s) as %s", m, host, sp.spell(path), sp.name, c.name)
						if a.status >= 300 && a.status < 400 {
							t.Errorf("%s: redirected to %q", where, a.header.Get("Location"))
						}
						switch {
						case !sp.canonical:
							if a.status != 400 {
								t.Errorf("%s: %d, want 400", where, a.status)
							}
						case c.role == 0:
							if a.status != 401 {
								t.Errorf("%s: %d, want 401", where, a.status)
							}
						case m != "GET" && c.role < auth.Admin:
							if a.status != 403 {
								t.Errorf("%s: %d, want 403", where, a.status)
							}
						case m == "GET" && a.status != 200:
							t.Errorf("%s: %d, want 200: %s", where, a.status, a.body)
						}
					}
				}
			}
		}
	}
	// Nothing was deleted, upgraded or changed.
	for _, cl := range []*simcloud.Cloud{s.Cloud, sim.Cloud} {
		if ops := cl.Operations(simcloud.OperationFilter{}); len(ops) != 0 {
			t.Errorf("the simulated cloud recorded operations: %+v", ops)
		}
	}
}
