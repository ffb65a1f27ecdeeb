package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/api"
)

// send makes a raw request and returns the status and the decoded body.
func (ts *testServer) send(method, path, body string, header ...string) (int, map[string]any, http.Header) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v map[string]any
	json.Unmarshal(data, &v)
	return resp.StatusCode, v, resp.Header
}

// dig follows a dotted path of object keys and list indexes.
func dig(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Each api-version gets the fields it defines and no others, in
// responses, and requests may send only those.
func TestResponsesAreShapedByAPIVersion(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "canary", "c": "prod"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	const newest = "?api-version=2026-11-02-preview"
	strategy := `{"properties":{"strategy":{"stages":[{"name":"one","maxConcurrency":"50%","groups":[{"name":"canary","maxConcurrency":"2"},{"name":"prod"}]}]}}}`
	if st, body, _ := ts.send("PUT", f+"/updateStrategies/s"+newest, strategy); st != 201 {
		t.Fatalf("PUT strategy: %d %v", st, body)
	}
	run := `{"properties":{"updateStrategyId":"` + f + `/updateStrategies/s","managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`
	if st, body, _ := ts.send("PUT", f+"/updateRuns/r"+newest, run); st != 201 {
		t.Fatalf("PUT run: %d %v", st, body)
	}
	for _, tc := range []struct {
		version, path, field string
		want                 any // nil: absent
	}{
		{"2024-04-01", f, "properties.status", nil},
		{"2025-03-01", f, "properties.status.lastOperationId", "any"},
		{"2024-04-01", f + "/members/a", "properties.status", nil},
		{"2025-03-01", f + "/members/a", "properties.status.lastOperationId", "any"},
		{"2024-04-01", f + "/updateStrategies/s", "properties.strategy.stages.0.maxConcurrency", nil},
		{"2024-04-01", f + "/updateStrategies/s", "properties.strategy.stages.0.groups.0.maxConcurrency", nil},
		{"2025-08-01-preview", f + "/updateRuns/r", "properties.status.stages.0.maxConcurrency", nil},
		{"2025-08-01-preview", f + "/updateRuns/r", "properties.status.stages.0.groups.0.maxConcurrency", nil},
		{"2026-02-01-preview", f + "/updateStrategies/s", "properties.strategy.stages.0.maxConcurrency", "50%"},
		// 50% of the stage's three members is one; the canary group's
		// 2 is capped by it; prod takes the default, one.
		{"2026-02-01-preview", f + "/updateRuns/r", "properties.status.stages.0.maxConcurrency", 1.0},
		{"2026-03-02-preview", f + "/updateRuns/r", "properties.status.stages.0.groups.0.maxConcurrency", 1.0},
		{"2026-11-02-preview", f + "/updateRuns/r", "properties.status.stages.0.groups.1.maxConcurrency", 1.0},
		// Lists are shaped item by item.
		{"2024-04-01", f + "/members", "value.0.properties.status", nil},
		{"2025-03-01", f + "/members", "value.0.properties.status.lastOperationId", "any"},
	} {
		t.Run(tc.version+" "+tc.field, func(t *testing.T) {
			st, body, _ := ts.send("GET", tc.path+"?api-version="+tc.version, "")
			if st != 200 {
				t.Fatalf("GET: %d %v", st, body)
			}
			got, ok := dig(body, tc.field)
			switch {
			case tc.want == nil && ok:
				t.Fatalf("api-version %s shows %s = %v; that version does not define it", tc.version, tc.field, got)
			case tc.want == "any" && (!ok || got == ""):
				t.Fatalf("api-version %s lacks %s: %v", tc.version, tc.field, body)
			case tc.want != nil && tc.want != "any" && got != tc.want:
				t.Fatalf("api-version %s: %s = %v, want %v", tc.version, tc.field, got, tc.want)
			}
		})
	}

	// Requests may not send what their version lacks; the refusal names
	// the field and the version that brings it.
	for _, tc := range []struct {
		name, version, path, body, text string
	}{
		{"stage maxConcurrency", "2024-04-01", f + "/updateStrategies/old", strategy, "properties.strategy.stages[0].groups[0].maxConcurrency is not defined in api-version 2024-04-01; it comes with api-version 2026-02-01-preview"},
		{"member labels", "2025-03-01", f + "/members/a", `{"properties":{"clusterResourceId":"` + clusterID("a") + `","labels":{"env":"prod"}}}`, "properties.labels is not defined in api-version 2025-03-01; it comes with api-version 2025-04-01-preview"},
		{"member labels by PATCH", "2024-04-01", f + "/members/a", `{"properties":{"labels":{"env":"prod"}}}`, "properties.labels is not defined in api-version 2024-04-01"},
		{"Custom node images", "2024-04-01", f + "/updateRuns/old", `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"NodeImageOnly"},"nodeImageSelection":{"type":"Custom"}}}}`, `the value "Custom" of the field properties.managedClusterUpdate.nodeImageSelection.type is not defined in api-version 2024-04-01; it comes with api-version 2024-05-02-preview`},
		{"gates", "2025-03-01", f + "/updateStrategies/old", `{"properties":{"strategy":{"stages":[{"name":"x","groups":[{"name":"canary"}],"beforeGates":[{"type":"Approval"}]}]}}}`, "properties.strategy.stages[0].beforeGates is not defined in api-version 2025-03-01; it comes with api-version 2025-04-01-preview"},
	} {
		t.Run("refuse "+tc.name, func(t *testing.T) {
			method := "PUT"
			if strings.Contains(tc.name, "PATCH") {
				method = "PATCH"
			}
			status, code, msg, _ := ts.do(method, tc.path+"?api-version="+tc.version, tc.body)
			if status != 400 || code != "InvalidRequestContent" || !strings.Contains(msg, tc.text) {
				t.Fatalf("got %d %s %q; want 400 InvalidRequestContent saying %q", status, code, msg, tc.text)
			}
		})
	}
	// Resource types and actions have a first version too.
	for _, tc := range []struct{ method, path, version, text string }{
		{"GET", f + "/updateStrategies", "2023-06-15-preview", "comes with api-version 2023-08-15-preview"},
		{"POST", f + "/updateRuns/r/skip", "2024-04-01", ""},
		{"POST", f + "/updateRuns/r/skip", "2023-10-15", "comes with api-version 2024-02-02-preview"},
	} {
		status, code, msg, _ := ts.do(tc.method, tc.path+"?api-version="+tc.version, `{"targets":[{"type":"Member","name":"zz"}]}`)
		if tc.text == "" {
			if code == "NoRegisteredProviderFound" {
				t.Errorf("%s %s under %s: %d %s %q; the version has it", tc.method, tc.path, tc.version, status, code, msg)
			}
			continue
		}
		if status != 400 || code != "NoRegisteredProviderFound" || !strings.Contains(msg, tc.text) {
			t.Errorf("%s %s under %s: %d %s %q; want 400 NoRegisteredProviderFound saying %q", tc.method, tc.path, tc.version, status, code, msg, tc.text)
		}
	}
	// A read-only field a client sends back is dropped, not refused.
	if st, body, _ := ts.send("PUT", f+"?api-version=2024-04-01", `{"location":"eastus","properties":{"status":{"lastOperationId":"x"}}}`); st != 200 {
		t.Fatalf("PUT fleet with status under 2024-04-01: %d %v", st, body)
	}
}

// A fleet's and a member's status name the request that last wrote them,
// and a write refused for their state leaves its error there.
func TestFleetAndMemberStatusNameTheLastOperation(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	const v = "?api-version=2025-03-01"
	st, _, h := ts.send("PATCH", f+v, `{"tags":{"team":"x"}}`)
	if st != 200 {
		t.Fatalf("PATCH fleet: %d", st)
	}
	_, body, _ := ts.send("GET", f+v, "")
	if got, _ := dig(body, "properties.status.lastOperationId"); got != h.Get("x-ms-request-id") || got == "" {
		t.Fatalf("fleet lastOperationId %v, want the PATCH's request id %q", got, h.Get("x-ms-request-id"))
	}
	if _, has := dig(body, "properties.status.lastOperationError"); has {
		t.Fatalf("a fleet whose last write applied shows an error: %v", body)
	}

	// A running run holds the member and the fleet.
	run := `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31.2"}}}}`
	if st, body, _ := ts.send("PUT", f+"/updateRuns/r"+v, run); st != 201 {
		t.Fatalf("PUT run: %d %v", st, body)
	}
	if st, body, _ := ts.send("POST", f+"/updateRuns/r/start"+v, ""); st != 200 {
		t.Fatalf("start: %d %v", st, body)
	}
	ts.waitInFlight(1)
	for _, path := range []string{f + "/members/a", f} {
		st, _, h := ts.send("DELETE", path+v, "")
		if st != 409 {
			t.Fatalf("DELETE %s during the run: %d, want 409", path, st)
		}
		_, body, _ := ts.send("GET", path+v, "")
		id, _ := dig(body, "properties.status.lastOperationId")
		code, _ := dig(body, "properties.status.lastOperationError.code")
		msg, _ := dig(body, "properties.status.lastOperationError.message")
		if id != h.Get("x-ms-request-id") || code != "Conflict" || !strings.Contains(fmt.Sprint(msg), "in progress") {
			t.Fatalf("%s after a refused DELETE: status %v; want the DELETE's id %s and its Conflict", path, body["properties"], h.Get("x-ms-request-id"))
		}
	}
	ts.finish(1)
}

// Every answer carries ARM's request id and correlation id; a caller's
// correlation id comes back as it was sent.
func TestEveryAnswerCarriesRequestIDs(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	seen := map[string]bool{}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", f + "?api-version=2024-04-01", 200},
		{"GET", f + "x?api-version=2024-04-01", 404},
		{"GET", f + "?api-version=2019-01-01", 400},
		{"GET", f + "//members?api-version=2024-04-01", 400},
		{"PATCH", f + "/updateRuns/r?api-version=2024-04-01", 405},
		{"GET", "/providers/Microsoft.ContainerService/operations?api-version=2024-04-01", 200},
	} {
		for _, corr := range []string{"", "caller-corr-1"} {
			st, _, h := ts.send(tc.method, tc.path, "", "x-ms-correlation-request-id", corr)
			id, got := h.Get("x-ms-request-id"), h.Get("x-ms-correlation-request-id")
			if st != tc.status || len(id) != 36 || got == "" || seen[id] {
				t.Fatalf("%s %s: %d, request id %q (seen before: %v), correlation id %q", tc.method, tc.path, st, id, seen[id], got)
			}
			seen[id] = true
			if corr != "" && got != corr {
				t.Fatalf("%s %s: correlation id %q, want the caller's %q", tc.method, tc.path, got, corr)
			}
		}
	}
}

// Requests under a fleet that does not exist are ParentResourceNotFound,
// whatever the collection and the method.
func TestChildrenOfAMissingFleet(t *testing.T) {
	ts := newTestServer(t)
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/nope"
	const v = "?api-version=2025-03-01"
	for _, tc := range []struct{ method, path string }{
		{"GET", "/members"}, {"GET", "/members/a"}, {"PUT", "/members/a"}, {"PATCH", "/members/a"}, {"DELETE", "/members/a"},
		{"GET", "/updateStrategies"}, {"GET", "/updateStrategies/s"}, {"PUT", "/updateStrategies/s"}, {"DELETE", "/updateStrategies/s"},
		{"GET", "/updateRuns"}, {"GET", "/updateRuns/r"}, {"PUT", "/updateRuns/r"}, {"DELETE", "/updateRuns/r"},
		{"POST", "/updateRuns/r/start"}, {"POST", "/updateRuns/r/stop"}, {"POST", "/updateRuns/r/skip"}, {"GET", "/updateRuns/r/plan"},
	} {
		status, code, msg, _ := ts.do(tc.method, f+tc.path+v, `{}`)
		if status != 404 || code != "ParentResourceNotFound" || !strings.Contains(msg, "fleet nope") {
			t.Errorf("%s %s: %d %s %q; want 404 ParentResourceNotFound naming the fleet", tc.method, tc.path, status, code, msg)
		}
	}
}

func TestLocationsAreSpelledAsARMDoes(t *testing.T) {
	ts := newTestServer(t)
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/f"
	const v = "?api-version=2025-03-01"
	if st, body, _ := ts.send("PUT", f+v, `{"location":"East US"}`); st != 201 || body["location"] != "eastus" {
		t.Fatalf("PUT East US: %d %v", st, body["location"])
	}
	if st, body, _ := ts.send("PUT", f+v, `{"location":"EastUS"}`); st != 200 || body["location"] != "eastus" {
		t.Fatalf("PUT EastUS again: %d %v", st, body)
	}
}

func TestMemberListFilter(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod", "c": "prod"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	const v = "?api-version=2026-02-01-preview"
	if st, _, _ := ts.send("PATCH", f+"/members/c"+v, `{"properties":{"labels":{"env":"it's"}}}`); st != 200 {
		t.Fatalf("PATCH labels: %d", st)
	}
	names := func(filter string) []string {
		t.Helper()
		var out []string
		next := f + "/members" + v + "&$filter=" + strings.ReplaceAll(filter, " ", "%20")
		for next != "" {
			st, body, _ := ts.send("GET", next, "")
			if st != 200 {
				t.Fatalf("GET %s: %d %v", next, st, body)
			}
			for _, m := range body["value"].([]any) {
				out = append(out, m.(map[string]any)["name"].(string))
			}
			next, _ = body["nextLink"].(string)
			next = strings.TrimPrefix(next, ts.url)
		}
		return out
	}
	if got := fmt.Sprint(names("properties/group eq 'prod'")); got != "[b c]" {
		t.Errorf("group prod: %s", got)
	}
	if got := fmt.Sprint(names("properties/group eq 'prod' and properties/labels/env eq 'it''s'")); got != "[c]" {
		t.Errorf("group prod and env it's: %s", got)
	}
	for _, tc := range []struct{ path, text string }{
		{f + "/members" + v + "&$filter=properties/group%20ne%20'prod'", "only eq"},
		{f + "/members" + v + "&$filter=properties/kubernetesVersion%20eq%20'1'", "not one caravan filters on"},
		{f + "/members?api-version=2025-03-01&$filter=name%20eq%20'a'", "comes with api-version 2026-02-01-preview"},
		{f + "/updateRuns" + v + "&$filter=name%20eq%20'a'", "not supported"},
		{"/subscriptions/" + sub + "/providers/Microsoft.ContainerService/fleets" + v + "&$filter=name%20eq%20'a'", "not supported"},
	} {
		status, code, msg, _ := ts.do("GET", tc.path, "")
		if status != 400 || code != "InvalidQueryParameterValue" || !strings.Contains(msg, tc.text) {
			t.Errorf("GET %s: %d %s %q; want 400 saying %q", tc.path, status, code, msg, tc.text)
		}
	}
}

func TestProviderOperationsList(t *testing.T) {
	ts := newTestServer(t)
	st, body, _ := ts.send("GET", "/providers/Microsoft.ContainerService/operations?api-version=2025-03-01", "")
	if st != 200 {
		t.Fatalf("%d %v", st, body)
	}
	names := map[string]bool{}
	for _, op := range body["value"].([]any) {
		names[op.(map[string]any)["name"].(string)] = true
	}
	for _, want := range []string{
		"Microsoft.ContainerService/fleets/read", "Microsoft.ContainerService/fleets/write", "Microsoft.ContainerService/fleets/delete",
		"Microsoft.ContainerService/fleets/members/write", "Microsoft.ContainerService/fleets/updateRuns/start/action",
		"Microsoft.ContainerService/fleets/listCredentials/action",
	} {
		if !names[want] {
			t.Errorf("the operations list lacks %s: %v", want, names)
		}
	}
}

// versionsTable renders the version table as docs/api.md shows it.
func versionsTable() string {
	var b strings.Builder
	b.WriteString("| resource | field | from | until | read-only |\n|---|---|---|---|---|\n")
	for _, f := range api.FieldVersions() {
		field := "`" + f.Path + "`"
		if f.Value != "" {
			field += " = `" + f.Value + "`"
		}
		until, ro := f.Until, ""
		if until == "" {
			until = "newest"
		}
		if f.ReadOnly {
			ro = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", strings.TrimPrefix(f.Resource, "Microsoft.ContainerService/"), field, f.Since, until, ro)
	}
	return b.String()
}

// TestVersionTableIsDocumented checks that docs/api.md shows the table
// responses are shaped by, and lists every api-version served.
func TestVersionTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := versionsTable(); !strings.Contains(string(doc), want) {
		t.Fatalf("docs/api.md does not hold the version table; put this in its API versions section:\n\n%s", want)
	}
	for _, v := range api.APIVersions {
		if !strings.Contains(string(doc), "`"+v+"`") {
			t.Errorf("docs/api.md does not list api-version %s", v)
		}
	}
}
