package postgres_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/postgres/pgtest"
	"github.com/caravan-dev/caravan/store/sqlite"
)

// The API answers bad input the same on PostgreSQL as on SQLite: the same
// 4xx and error code, never a 503 from a key PostgreSQL cannot hold.
func TestAPIAnswersBadInputAsOnSQLite(t *testing.T) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg := open(t, pgtest.Start(t))
	defer pg.Close()
	const sub = "/subscriptions/00000000-0000-0000-0000-000000000001"
	f := sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1"
	inRG := func(rg string) string {
		return sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/f1"
	}
	requests := []struct{ method, path, body string }{
		{"PUT", inRG("g%00x"), `{"location":"eastus"}`},
		{"GET", inRG("g%00x"), ""},
		{"DELETE", inRG("g%00x"), ""},
		{"GET", sub + "/resourceGroups/g%00x/providers/Microsoft.ContainerService/fleets", ""},
		{"PUT", inRG("g%FF"), `{"location":"eastus"}`},
		{"PUT", inRG(strings.Repeat("g", 1100)), `{"location":"eastus"}`},
		{"GET", inRG(strings.Repeat("g", 3000)), ""},
		{"GET", f + "/members?$skipToken=" + base64.RawURLEncoding.EncodeToString([]byte("/x\x00y")), ""},
		{"PUT", f + "/updateStrategies/s1", `{"properties":{"strategy":{"stages":[{"name":"s","groups":[{"name":"g"}]}]}}}`},
		{"PUT", f, `{"location":"eastus","tags":{"k":"v\u0000"}}`},
		{"GET", f, ""},
		{"PUT", f + "/updateStrategies/s1", `{"properties":{"strategy":{"stages":[{"name":"s\u0000","groups":[{"name":"g"}]}]}}}`},
		{"PUT", f + "/members/m1", `{"properties":{"clusterResourceId":"/subscriptions/s/resourceGroups/g\u0000x/providers/Microsoft.ContainerService/managedClusters/c"}}`},
		{"PUT", f + "/members/m2", `{"properties":{"clusterResourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/` + strings.Repeat("c", 1100) + `"}}`},
		{"PUT", f + "/members/m3", `{"properties":{"clusterResourceId":"/subscriptions/s/resourceGroups/g\udc00/providers/Microsoft.ContainerService/managedClusters/c"}}`},
	}
	answer := func(s store.Store) []string {
		srv := httptest.NewServer(api.New(api.Config{Store: s, Clusters: fake.New()}))
		defer srv.Close()
		var out []string
		for _, r := range requests {
			sep := "?"
			if strings.Contains(r.path, "?") {
				sep = "&"
			}
			req, _ := http.NewRequest(r.method, srv.URL+r.path+sep+"api-version=2024-04-01", strings.NewReader(r.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error struct{ Code string } }
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s on %s: %d %s", r.method, r.path[:min(len(r.path), 120)], store.Name(s), resp.StatusCode, e.Error.Code)
			}
			out = append(out, http.StatusText(resp.StatusCode)+" "+e.Error.Code)
		}
		return out
	}
	onSQLite, onPostgres := answer(lite), answer(pg)
	for i, r := range requests {
		if onSQLite[i] != onPostgres[i] {
			t.Errorf("%s %s: SQLite answers %s, PostgreSQL %s", r.method, r.path[:min(len(r.path), 120)], onSQLite[i], onPostgres[i])
		}
	}
}
