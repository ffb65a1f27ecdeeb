package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// Member PUTs racing a fleet DELETE, through the API on a SQLite store:
// every PUT either lands before the delete (and is deleted with the
// fleet) or is answered 404 ParentResourceNotFound; no member is left
// under the deleted fleet, and re-creating the fleet brings none back.
func TestMemberPutsRacingFleetDeleteLeaveNoMembers(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cloud := fake.New()
	const members = 6
	for i := range members {
		cloud.AddCluster(cluster.Cluster{ID: clusterID(fmt.Sprintf("c%d", i)), Name: fmt.Sprintf("c%d", i), Region: "eastus", KubernetesVersion: "1.30.4", ProvisioningState: "Succeeded"})
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, Clusters: cloud}))
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path+"?api-version=2024-04-01", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/race"
	trials := 30
	if testing.Short() {
		trials = 8
	}
	for trial := range trials {
		if status, body := do("PUT", f, `{"location":"eastus"}`); status != 201 {
			t.Fatalf("trial %d: creating the fleet: %d %s", trial, status, body)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range members {
			wg.Go(func() {
				<-start
				status, body := do("PUT", fmt.Sprintf("%s/members/m%d", f, i), `{"properties":{"clusterResourceId":"`+clusterID(fmt.Sprintf("c%d", i))+`"}}`)
				if status != 201 && !(status == 404 && strings.Contains(body, "ParentResourceNotFound")) {
					t.Errorf("trial %d: member PUT answered %d %s; want 201 or 404 ParentResourceNotFound", trial, status, body)
				}
			})
		}
		wg.Go(func() {
			<-start
			if status, body := do("DELETE", f, ""); status != 200 {
				t.Errorf("trial %d: deleting the fleet: %d %s", trial, status, body)
			}
		})
		close(start)
		wg.Wait()
		if status, body := do("PUT", f, `{"location":"eastus"}`); status != 201 {
			t.Fatalf("trial %d: re-creating the fleet: %d %s", trial, status, body)
		}
		_, body := do("GET", f+"/members", "")
		var list struct{ Value []struct{ Name string } }
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("trial %d: listing members: %s", trial, body)
		}
		if len(list.Value) > 0 {
			t.Fatalf("trial %d: re-created fleet has %d members left from before its delete, such as %s", trial, len(list.Value), list.Value[0].Name)
		}
		if status, body := do("DELETE", f, ""); status != 200 {
			t.Fatalf("trial %d: deleting the fleet: %d %s", trial, status, body)
		}
	}
}

// Keys no store can hold are a 400 in ARM's shape, on SQLite as on every
// store (the store conformance suite checks they refuse them alike).
func TestUnstorableNamesAre400(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(api.New(api.Config{Store: s, Clusters: fake.New()}))
	defer srv.Close()
	for name, group := range map[string]string{
		"a NUL byte":    "g%00x",
		"invalid UTF-8": "g%FF%FE",
		"a long name":   strings.Repeat("g", 2000),
	} {
		for _, method := range []string{"PUT", "GET", "DELETE"} {
			path := "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.ContainerService/fleets/f1"
			req, _ := http.NewRequest(method, srv.URL+path+"?api-version=2024-04-01", strings.NewReader(`{"location":"eastus"}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != 400 || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("%s of a fleet in a resource group with %s: %d %+v; want 400 in ARM's shape", method, name, resp.StatusCode, e)
			}
		}
	}
}
