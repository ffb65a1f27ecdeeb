package api_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/postgres"
	"github.com/caravan-dev/caravan/store/postgres/pgtest"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// TestMain stops the PostgreSQL server the store tests start, if any.
func TestMain(m *testing.M) { pgtest.Main(m) }

func fleetPath(rgName, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rgName + "/providers/Microsoft.ContainerService/fleets/" + name
}

const v1 = "?api-version=2024-04-01"

func (ts *testServer) putFleet(rgName, name string) {
	ts.t.Helper()
	if st, _, msg, _ := ts.do("PUT", fleetPath(rgName, name)+v1, `{"location":"eastus"}`); st != 201 {
		ts.t.Fatalf("create fleet %s: %d %s", name, st, msg)
	}
}

func member(clusterID string) string {
	return `{"properties":{"clusterResourceId":"` + clusterID + `"}}`
}

// Spellings of one cluster id are one cluster: it is stored in its
// canonical spelling, and a second member naming it, in the same fleet
// or another, is a 409 naming the first.
func TestClusterIsAMemberOfOneFleet(t *testing.T) {
	ts := newTestServer(t)
	ts.addCluster("c05", "1.30.4")
	ts.putFleet(rg, "fleet-1")
	ts.putFleet("rg-other", "fleet-2")
	id := clusterID("c05")
	if st, _, msg, _ := ts.do("PUT", fleetPath(rg, "fleet-1")+"/members/m1"+v1, member("/"+strings.ToUpper(id[:1])+id+"/")); st != 201 {
		t.Fatalf("first member: %d %s", st, msg)
	}
	if body := ts.get(fleetPath(rg, "fleet-1") + "/members/m1" + v1); !strings.Contains(body, `"clusterResourceId":"`+id+`"`) {
		t.Fatalf("member is not stored under the canonical id %s: %s", id, body)
	}
	for _, tc := range []struct{ fleet, spelling string }{
		{fleetPath(rg, "fleet-1"), id + "/"},
		{fleetPath(rg, "fleet-1"), "//" + strings.TrimPrefix(id, "/")},
		{fleetPath(rg, "fleet-1"), strings.ReplaceAll(id, "/managedClusters/", "//MANAGEDCLUSTERS/")},
		{fleetPath("rg-other", "fleet-2"), strings.ToUpper(id)},
	} {
		st, code, msg, _ := ts.do("PUT", tc.fleet+"/members/m2"+v1, member(tc.spelling))
		if st != http.StatusConflict || code != "ClusterAlreadyMember" || !strings.Contains(msg, "member m1 of fleet fleet-1 in resource group "+rg) || !strings.Contains(msg, "delete it") {
			t.Fatalf("%s as a second member: %d %s %s", tc.spelling, st, code, msg)
		}
	}
	// The member itself may be sent again; once deleted, its cluster may
	// join another fleet.
	if st, _, msg, _ := ts.do("PUT", fleetPath(rg, "fleet-1")+"/members/m1"+v1, member(id)); st != 200 {
		t.Fatalf("same member again: %d %s", st, msg)
	}
	if st, _, msg, _ := ts.do("DELETE", fleetPath(rg, "fleet-1")+"/members/m1"+v1, ""); st != 200 {
		t.Fatalf("delete: %d %s", st, msg)
	}
	if st, _, msg, _ := ts.do("PUT", fleetPath("rg-other", "fleet-2")+"/members/m2"+v1, member(id)); st != 201 {
		t.Fatalf("after delete: %d %s", st, msg)
	}
	// Deleting the fleet lets the cluster go too.
	if st, _, msg, _ := ts.do("DELETE", fleetPath("rg-other", "fleet-2")+v1, ""); st != 200 {
		t.Fatalf("delete fleet: %d %s", st, msg)
	}
	if st, _, msg, _ := ts.do("PUT", fleetPath(rg, "fleet-1")+"/members/m3"+v1, member(id)); st != 201 {
		t.Fatalf("after fleet delete: %d %s", st, msg)
	}
}

// Many PUTs at once, in several fleets and spellings, naming one cluster:
// exactly one member exists afterwards, on the memory store and SQLite.
func TestConcurrentMembersOfOneCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return nil }},
		{"postgres", func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), pgtest.Start(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"sqlite", func(t *testing.T) store.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts *testServer
			if s := tc.open(t); s != nil {
				ts = newTestServerOn(t, s)
			} else {
				ts = newTestServer(t)
			}
			ts.addCluster("c05", "1.30.4")
			const fleets, tries = 4, 24
			for i := range fleets {
				ts.putFleet(rg, fmt.Sprintf("f%d", i))
			}
			id := clusterID("c05")
			spellings := []string{id, id + "/", "/" + id, strings.ToUpper(id)}
			var wg sync.WaitGroup
			statuses := make([]int, tries)
			for i := range tries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i], _, _, _ = ts.do("PUT", fleetPath(rg, fmt.Sprintf("f%d", i%fleets))+fmt.Sprintf("/members/m%d", i)+v1, member(spellings[i%len(spellings)]))
				}()
			}
			wg.Wait()
			created := 0
			for _, st := range statuses {
				switch st {
				case 201:
					created++
				case 409:
				default:
					t.Fatalf("statuses %v: want one 201 and the rest 409", statuses)
				}
			}
			members := 0
			for i := range fleets {
				members += strings.Count(ts.get(fleetPath(rg, fmt.Sprintf("f%d", i))+"/members"+v1+"&$top=1000"), `"clusterResourceId"`)
			}
			if created != 1 || members != 1 {
				t.Fatalf("%d created and %d members listed of one cluster, want 1 and 1 (statuses %v)", created, members, statuses)
			}
		})
	}
}
