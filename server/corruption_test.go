package server_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/store/sqlite"
)

const fleetPath = "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/"

// call sends an authenticated request and returns the status and body.
func call(t *testing.T, s *server.Server, method, path, body string) (int, []byte) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if strings.HasPrefix(path, "/subscriptions/") {
		path += sep + "api-version=2024-04-01"
	}
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func mustCall(t *testing.T, s *server.Server, method, path, body string, want int) []byte {
	t.Helper()
	status, data := call(t, s, method, path, body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, data, want)
	}
	return data
}

func startOn(dir string) (*server.Server, error) {
	return server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: dir, Token: "secret", Simulate: true, RecheckInterval: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// A database file truncated to nothing, or overwritten, is refused at
// start with a message naming it, instead of starting an empty store.
func TestStartRefusesADamagedDatabaseFile(t *testing.T) {
	for name, damage := range map[string]func(path string) error{
		"truncated to 0 bytes": func(path string) error { return os.Truncate(path, 0) },
		"overwritten":          func(path string) error { return os.WriteFile(path, []byte(strings.Repeat("\x00garbage", 4096)), 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := startServer(t, dir)
			mustCall(t, s, "PUT", fleetPath+"f1", `{"location":"eastus"}`, 201)
			if err := s.Shutdown(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, sqlite.FileName)
			if err := damage(path); err != nil {
				t.Fatal(err)
			}
			s, err := startOn(dir)
			if err == nil {
				s.Shutdown()
				t.Fatal("caravan started on a damaged database file")
			}
			if !errors.Is(err, sqlite.ErrNotCaravan) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "backup") {
				t.Fatalf("start failed with %q; want it to name %s, say it is not a caravan database and point to a backup", err, path)
			}
		})
	}
}

// Record bodies garbled in the database file are errors that name the
// resource and the store, never data: the API answers 503
// StoredResourceCorrupt, /readyz turns not ready, and an active run that
// cannot be read is marked Failed with the reason.
func TestGarbledRecordsAreErrorsNotData(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	mustCall(t, s, "PUT", fleetPath+"f1", `{"location":"eastus"}`, 201)
	mustCall(t, s, "PUT", fleetPath+"f2", `{"location":"eastus"}`, 201)
	mustCall(t, s, "PUT", fleetPath+"f1/updateStrategies/s1", `{"properties":{"strategy":{"stages":[{"name":"one","groups":[{"name":"g"}]}]}}}`, 201)
	mc, err := aks.NewManagedClustersClient(sub, bearer("secret"), armOptions(s.URL))
	if err != nil {
		t.Fatal(err)
	}
	p, err := mc.BeginCreateOrUpdate(context.Background(), "rg-clusters", "c1", aks.ManagedCluster{
		Location: to.Ptr("eastus"),
		Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), DNSPrefix: to.Ptr("c1"),
			AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), VMSize: to.Ptr("Standard_D4s_v5"), OSType: to.Ptr(aks.OSTypeLinux), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := p.PollUntilDone(context.Background(), poll)
	if err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "PUT", fleetPath+"f1/members/m1", `{"properties":{"clusterResourceId":"`+*c1.ID+`","group":"g"}}`, 201)
	mustCall(t, s, "PUT", fleetPath+"f1/updateRuns/r1", `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`, 201)
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}

	// Garble bodies with raw SQL, and make r1 look active.
	path := filepath.Join(dir, sqlite.FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	garbled := []byte("{\"properties\":\xff\x00 not json")
	for _, q := range []struct {
		suffix string
		state  string
	}{{"fleets/f2", ""}, {"fleets/f1/updatestrategies/s1", ""}, {"fleets/f1/updateruns/r1", "Running"}} {
		res, err := db.Exec(`UPDATE caravan_records SET body = ?, state = ? WHERE id LIKE ?`, garbled, q.state, "%/"+q.suffix)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("garbling %s changed %d rows", q.suffix, n)
		}
	}
	db.Close()

	s, err = startOn(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	ready := func() (int, string) {
		status, body := call(t, s, "GET", "/readyz", "")
		return status, string(body)
	}
	if status, body := ready(); status != 503 || !strings.Contains(body, "updateruns/r1") {
		t.Fatalf("/readyz with an unreadable run answered %d %s; want 503 naming the run", status, body)
	}
	// An anonymous caller learns only that the server is not ready.
	if resp, err := http.Get(s.URL + "/readyz"); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || strings.Contains(string(body), "updateruns") || strings.Contains(string(body), dir) {
			t.Fatalf("anonymous /readyz answered %d %s; want 503 without the record or the database", resp.StatusCode, body)
		}
	}

	// The garbled fleet and strategy, alone or in lists: 503 naming them
	// and the database file.
	for _, tc := range []struct{ path, names string }{
		{fleetPath + "f2", "fleet " + strings.ToLower(fleetPath) + "f2"},
		{fleetPath[:strings.Index(fleetPath, "/providers")] + "/providers/Microsoft.ContainerService/fleets", "fleet " + strings.ToLower(fleetPath) + "f2"},
		{fleetPath + "f1/updateStrategies/s1", "update strategy " + strings.ToLower(fleetPath) + "f1/updatestrategies/s1"},
		{fleetPath + "f1/updateStrategies", "update strategy " + strings.ToLower(fleetPath) + "f1/updatestrategies/s1"},
	} {
		status, body := call(t, s, "GET", tc.path, "")
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("GET %s answered %d with a body that is not JSON: %q", tc.path, status, body)
		}
		if status != 503 || e.Error.Code != "StoredResourceCorrupt" || !strings.Contains(e.Error.Message, tc.names) || !strings.Contains(e.Error.Message, "SQLite database "+path) {
			t.Errorf("GET %s: %d %s; want 503 StoredResourceCorrupt naming %q and the database", tc.path, status, body, tc.names)
		}
	}

	// The active run was marked Failed, with the reason and the
	// unreadable document kept.
	var run struct {
		Properties struct {
			Status struct {
				Status struct {
					State string
					Error struct {
						Code, Message string
						Details       []struct{ Code, Message string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(mustCall(t, s, "GET", fleetPath+"f1/updateRuns/r1", "", 200), &run); err != nil {
		t.Fatal(err)
	}
	st := run.Properties.Status.Status
	if st.State != "Failed" || st.Error.Code != "StoredRunUnreadable" || !strings.Contains(st.Error.Message, "was Running") || !strings.Contains(st.Error.Message, path) {
		t.Fatalf("the unreadable run reads %+v; want Failed, StoredRunUnreadable, saying it was Running in %s", st, path)
	}
	if len(st.Error.Details) != 1 || st.Error.Details[0].Message != base64.StdEncoding.EncodeToString(garbled) {
		t.Fatalf("the marked run's error details are %+v; want the unreadable document, base64-encoded", st.Error.Details)
	}
	if status, body := call(t, s, "POST", fleetPath+"f1/updateRuns/r1/start", ""); status != 409 || !strings.Contains(string(body), "delete it") {
		t.Fatalf("starting the marked run answered %d %s; want 409 saying to delete it", status, body)
	}

	// Deleting what is damaged makes the server ready again.
	for _, p := range []string{fleetPath + "f1/updateRuns/r1", fleetPath + "f1/updateStrategies/s1"} {
		mustCall(t, s, "DELETE", p, "", 200)
	}
	if status, body := ready(); status != 503 || !strings.Contains(body, "fleets/f2") {
		t.Fatalf("/readyz with fleet f2 still unreadable answered %d %s", status, body)
	}
	mustCall(t, s, "DELETE", fleetPath+"f2", "", 200)
	if status, body := ready(); status != 200 {
		t.Fatalf("/readyz after the damaged records were deleted answered %d %s", status, body)
	}
}
