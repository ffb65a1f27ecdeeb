package server_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// fuzzBodies are the bodies a fuzzed request may carry: a valid one for
// each kind of write, and nothing.
var fuzzBodies = []string{
	"",
	`{"location":"eastus"}`,
	`{"properties":{"clusterResourceId":"` + clusterID("c1") + `","group":"g1"}}`,
	strategyBody,
	runBody,
	`{"targets":[{"type":"Member","name":"m1"}]}`,
	`{"tags":{"team":"x"}}`,
}

// fleetRoute is the test's own reading of the Fleet API's canonical
// paths, written apart from the router so that one checks the other.
var fleetRoute = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?/providers/microsoft\.containerservice/fleets(?:/([^/]+)(?:/(listcredentials)|/(members|updatestrategies|updateruns|autoupgradeprofiles|gates)(?:/([^/]+)(?:/(start|stop|skip|plan|events|generateupdaterun))?)?)?)?$`)

// expectation is what the oracle makes of a request.
type expectation struct {
	canonical bool
	fleetAPI  bool      // a route of the Fleet API's table
	need      auth.Role // 0: the method does nothing there (405)
	named     string    // canonical id of the resource named, "" for lists
}

// expect reads a decoded path and method.
func expect(u *url.URL, method string) expectation {
	raw := strings.ToLower(u.EscapedPath())
	if !strings.HasPrefix(u.Path, "/") || strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return expectation{}
	}
	for _, c := range u.Path {
		if c < 0x20 || c == 0x7f {
			return expectation{}
		}
	}
	if u.Path == "/" {
		return expectation{canonical: true}
	}
	for _, seg := range strings.Split(u.Path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return expectation{}
		}
	}
	e := expectation{canonical: true}
	if strings.EqualFold(u.Path, "/providers/Microsoft.ContainerService/operations") {
		e.fleetAPI = true
		e.need = map[string]auth.Role{"GET": auth.Reader}[method]
		return e
	}
	m := fleetRoute.FindStringSubmatch(u.Path)
	if m == nil || (m[2] == "" && m[3] != "") {
		return e
	}
	e.fleetAPI = true
	sub, rg, fleetName, creds, coll, name, action := m[1], m[2], m[3], m[4], strings.ToLower(m[5]), m[6], m[7]
	fleetID := strings.ToLower("/subscriptions/" + sub + "/resourcegroups/" + rg + "/providers/microsoft.containerservice/fleets/" + fleetName)
	R, O, A := auth.Reader, auth.Operator, auth.Admin
	var roles map[string]auth.Role
	switch {
	case fleetName == "":
		roles = map[string]auth.Role{"GET": R}
	case creds != "":
		roles, e.named = map[string]auth.Role{"POST": A}, fleetID
	case coll == "":
		roles, e.named = map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A}, fleetID
	case name == "":
		roles = map[string]auth.Role{"GET": R}
	case strings.EqualFold(action, "plan") || strings.EqualFold(action, "events"):
		roles, e.named = map[string]auth.Role{"GET": R}, fleetID+"/"+coll+"/"+strings.ToLower(name)
	case strings.EqualFold(action, "generateupdaterun"):
		// It writes a new run of the fleet.
		roles, e.named = map[string]auth.Role{"POST": O}, fleetID+"/updateruns"
	case action != "":
		roles, e.named = map[string]auth.Role{"POST": O}, fleetID+"/"+coll+"/"+strings.ToLower(name)
	case coll == "members":
		roles, e.named = map[string]auth.Role{"GET": R, "PUT": A, "PATCH": A, "DELETE": A}, fleetID+"/members/"+strings.ToLower(name)
	case coll == "autoupgradeprofiles":
		roles, e.named = map[string]auth.Role{"GET": R, "PUT": A, "DELETE": A}, fleetID+"/autoupgradeprofiles/"+strings.ToLower(name)
	case coll == "gates":
		roles, e.named = map[string]auth.Role{"GET": R, "PATCH": O}, fleetID+"/gates/"+strings.ToLower(name)
	case coll == "updatestrategies":
		roles, e.named = map[string]auth.Role{"GET": R, "PUT": A, "DELETE": A}, fleetID+"/updatestrategies/"+strings.ToLower(name)
	default:
		roles, e.named = map[string]auth.Role{"GET": R, "PUT": O, "DELETE": O}, fleetID+"/updateruns/"+strings.ToLower(name)
	}
	e.need = roles[method]
	return e
}

// FuzzRoutes sends requests of any method and path, as any caller, to a
// real server and checks that no answer is a redirect or a 5xx, that a
// path that is not canonical is a 400, that no caller gets past the role
// the test's own reading of the route table asks, and that nothing but
// the resource the path names changes. The seeds in
// testdata/fuzz/FuzzRoutes run with every go test.
func FuzzRoutes(f *testing.F) {
	// One server for the whole run (each fuzzing process starts its
	// own), with the fixture of the access tests.
	s := startAccessServer(f, server.Config{})
	accessFixture(f, s)
	f.Fuzz(func(t *testing.T, method, path string, who, body uint8) {
		if method == "" || len(method) > 10 || strings.IndexFunc(method, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			t.Skip("not a method token")
		}
		if method == "CONNECT" || method == "PRI" {
			t.Skip("not a request for a path")
		}
		if !strings.HasPrefix(path, "/") || len(path) > 2000 || strings.ContainsAny(path, "?#") ||
			strings.IndexFunc(path, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			t.Skip("not a request path this test can send as it is")
		}
		if path == "/healthz" || path == "/readyz" {
			t.Skip("open endpoints")
		}
		c := callers[int(who)%len(callers)]
		target := path + apiVersionQuery
		u, err := url.ParseRequestURI(target)
		addr := strings.TrimPrefix(s.URL, "http://")
		before := takeSnapshot(t, s.Store)
		opsBefore := len(s.Cloud.Operations(simcloud.OperationFilter{}))
		a := send(t, addr, method, target, c.token, fuzzBodies[int(body)%len(fuzzBodies)])
		where := method + " " + target + " as " + c.name
		if a.status >= 300 && a.status < 400 || a.status >= 500 {
			t.Fatalf("%s: %d %s", where, a.status, a.body)
		}
		e := expectation{}
		if err == nil {
			e = expect(u, method)
		}
		switch {
		case !e.canonical:
			if a.status != 400 {
				t.Fatalf("%s: %d, want 400 for a path that is not canonical: %s", where, a.status, a.body)
			}
		case c.role == 0:
			if a.status != 401 {
				t.Fatalf("%s: %d, want 401: %s", where, a.status, a.body)
			}
		case e.fleetAPI && e.need == 0:
			if a.status != 405 {
				t.Fatalf("%s: %d, want 405: %s", where, a.status, a.body)
			}
		case e.fleetAPI && c.role < e.need:
			if a.status != 403 {
				t.Fatalf("%s: %d, want 403 (needs %s): %s", where, a.status, e.need, a.body)
			}
		case e.fleetAPI && (a.status == 401 || a.status == 403):
			t.Fatalf("%s: %d, yet the caller's role allows it: %s", where, a.status, a.body)
		}
		if e.fleetAPI && a.status == 200 && strings.HasSuffix(strings.ToLower(u.Path), "/start") {
			waitRunSettled(t, s.Store, e.named)
		}
		diff := changed(before, takeSnapshot(t, s.Store))
		for _, id := range diff {
			if !e.fleetAPI || e.named == "" || (id != e.named && !strings.HasPrefix(id, e.named+"/")) {
				t.Fatalf("%s: answered %d and changed %s, which the path does not name", where, a.status, id)
			}
		}
		if len(diff) > 0 && (a.status == 409 || a.status == 503) && c.role >= e.need && refusalNoted(before, takeSnapshot(t, s.Store), e.named) {
			// A write refused for the resource's state is noted in its
			// status, and nothing else changes.
			diff = nil
			restore(t, s.Store, before)
		}
		if len(diff) > 0 && (a.status >= 300 || c.role < e.need) {
			t.Fatalf("%s: answered %d yet changed %v", where, a.status, diff)
		}
		if n := len(s.Cloud.Operations(simcloud.OperationFilter{})); n != opsBefore && (c.role < auth.Admin || e.fleetAPI && a.status >= 300) {
			t.Fatalf("%s: answered %d and the simulated cloud recorded an operation", where, a.status)
		}
		if len(diff) > 0 {
			restore(t, s.Store, before)
		}
	})
}

// refusalNoted reports whether the only change between two snapshots is
// the note of a refused write on the resource named: its status and ETag.
func refusalNoted(before, after snapshot, named string) bool {
	diff := changed(before, after)
	if len(diff) != 1 || diff[0] != named {
		return false
	}
	strip := func(s snapshot) (string, bool) {
		for _, rec := range s {
			if rec.ID != named {
				continue
			}
			var v map[string]any
			if json.Unmarshal(rec.Body, &v) != nil {
				return "", false
			}
			delete(v, "eTag")
			if p, ok := v["properties"].(map[string]any); ok {
				delete(p, "status")
			}
			b, _ := json.Marshal(v)
			return string(b), true
		}
		return "", false
	}
	b, ok1 := strip(before)
	a, ok2 := strip(after)
	return ok1 && ok2 && a == b
}
