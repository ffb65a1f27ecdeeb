package server_test

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/server"
)

// TestEveryAnswerCarriesRequestIDs sends requests that the server
// answers in each of its ways (health checks, the Fleet API, refusals of
// paths, tokens and roles, and, with its store broken, 503s) and checks
// that every answer carries x-ms-request-id and
// x-ms-correlation-request-id, each request its own id.
func TestEveryAnswerCarriesRequestIDs(t *testing.T) {
	s := startAccessServer(t, server.Config{})
	accessFixture(t, s)
	addr := strings.TrimPrefix(s.URL, "http://")
	f := "/subscriptions/" + accessSub + "/resourceGroups/" + accessRG + "/providers/Microsoft.ContainerService/fleets/f1"
	seen := map[string]bool{}
	check := func(method, target, token, body string, status int) {
		t.Helper()
		a := send(t, addr, method, target, token, body)
		id, corr := a.header.Get("x-ms-request-id"), a.header.Get("x-ms-correlation-request-id")
		if a.status != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, target, a.status, status, a.body)
		}
		if len(id) != 36 || len(corr) != 36 || seen[id] {
			t.Fatalf("%s %s (%d): request id %q (seen before: %v), correlation id %q", method, target, a.status, id, seen[id], corr)
		}
		seen[id] = true
	}
	check("GET", "/healthz", "", "", 200)
	check("GET", "/readyz", "", "", 200)
	check("GET", f+apiVersionQuery, readerToken, "", 200)
	check("GET", "/providers/Microsoft.ContainerService/operations"+apiVersionQuery, readerToken, "", 200)
	check("GET", f+"//members"+apiVersionQuery, "", "", 400)
	check("GET", f+"?api-version=2019-01-01", readerToken, "", 400)
	check("GET", f+apiVersionQuery, "", "", 401)
	check("DELETE", f+apiVersionQuery, readerToken, "", 403)
	check("GET", "/nothing/here", readerToken, "", 404)
	check("GET", f+"/members/none"+apiVersionQuery, readerToken, "", 404)
	check("PATCH", f+"/updateRuns/r1"+apiVersionQuery, adminToken, "{}", 405)
	check("PUT", f+"/updateStrategies/big"+apiVersionQuery, adminToken, `{"x":"`+strings.Repeat("a", 5<<20)+`"}`, 413)
	s.Store.Close()
	check("GET", "/readyz", "", "", 503)
	check("GET", f+apiVersionQuery, readerToken, "", 503)
}
