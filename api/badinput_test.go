package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// do sends a raw request and returns the status and decoded ARM error.
func (ts *testServer) do(method, path, body string, header ...string) (int, string, string, http.Header) {
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
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(data, &e)
	return resp.StatusCode, e.Error.Code, e.Error.Message, resp.Header
}

func TestBadInputGetsAClear4xx(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	v := "?api-version=2024-04-01"
	run := `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`
	big := `{"location":"eastus","tags":{"x":"` + strings.Repeat("a", 5<<20) + `"}}`
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
		code, text               string
	}{
		{"missing api-version", "GET", f, "", nil, 400, "MissingApiVersionParameter", "2024-04-01"},
		{"unknown api-version", "GET", f + "?api-version=2019-01-01", "", nil, 400, "NoRegisteredProviderFound", "2026-03-02-preview"},
		{"newer api-version", "GET", f + "?api-version=2025-04-01-preview", "", nil, 200, "", ""},
		{"unknown property", "PUT", f + "/updateRuns/r" + v, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}},"strategy":{"stages":[{"name":"s","grups":[]}]}}}`, nil, 400, "InvalidRequestContent", "properties.strategy.stages[0].grups: unknown property"},
		{"wrong type", "PUT", f + "/updateRuns/r" + v, `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}},"strategy":{"stages":[{"name":"s","groups":[{"name":"canary"}],"afterStageWaitInSeconds":"60"}]}}}`, nil, 400, "InvalidRequestContent", "properties.strategy.stages[0].afterStageWaitInSeconds: want a whole number, got a JSON string"},
		{"not JSON", "PUT", f + v, `{"location":`, nil, 400, "InvalidArgument", "not valid JSON"},
		{"empty body", "PUT", f + v, ``, nil, 400, "InvalidArgument", "empty"},
		{"array body", "PUT", f + v, `[1]`, nil, 400, "InvalidArgument", "must be a JSON object"},
		{"too large", "PUT", f + v, big, nil, 413, "RequestEntityTooLarge", "limit"},
		{"method not allowed", "PATCH", f + "/updateRuns/r" + v, run, nil, 405, "MethodNotAllowed", "GET, PUT, DELETE"},
		{"no such collection", "GET", f + "/widgets" + v, "", nil, 404, "InvalidResourceType", "docs/api.md"},
		{"bad fleet name", "PUT", "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/Fleet_1" + v, `{"location":"eastus"}`, nil, 400, "InvalidArgument", "not a valid name"},
		{"no location", "PUT", f + v, `{"tags":{}}`, nil, 400, "InvalidArgument", "location: a location is required"},
		{"location change", "PUT", f + v, `{"location":"westeurope"}`, nil, 400, "InvalidArgument", "cannot change"},
		{"hub profile", "PUT", f + v, `{"location":"eastus","properties":{"hubProfile":{"dnsPrefix":"x"}}}`, nil, 400, "InvalidArgument", "no hub cluster"},
		{"missing run", "GET", f + "/updateRuns/nope" + v, "", nil, 404, "ResourceNotFound", "update run nope of fleet fleet-1 not found"},
		{"missing fleet", "GET", f + "x" + v, "", nil, 404, "ResourceNotFound", "fleet fleet-1x not found"},
		{"delete missing", "DELETE", f + "/updateRuns/nope" + v, "", nil, 204, "", ""},
		{"delete with stale etag", "DELETE", f + "/members/a" + v, "", []string{"If-Match", `"stale"`}, 412, "PreconditionFailed", "ETag"},
		{"both strategy sources", "PUT", f + "/updateRuns/r" + v, `{"properties":{"updateStrategyId":"` + f + `/updateStrategies/s","strategy":{"stages":[{"name":"s","groups":[{"name":"canary"}]}]},"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`, nil, 400, "InvalidArgument", "either updateStrategyId or strategy"},
		{"strategy of another fleet", "PUT", f + "/updateRuns/r" + v, `{"properties":{"updateStrategyId":"` + f + `x/updateStrategies/s","managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`, nil, 400, "InvalidArgument", "belongs to another fleet"},
		{"member cluster change", "PUT", f + "/members/a" + v, `{"properties":{"clusterResourceId":"` + clusterID("b") + `"}}`, nil, 400, "InvalidArgument", "cannot change"},
		{"skip with a bad body", "POST", f + "/updateRuns/nope/skip" + v, `{"targets":"all"}`, nil, 400, "InvalidRequestContent", "targets: want a list"},
		{"skip a missing run", "POST", f + "/updateRuns/nope/skip" + v, `{"targets":[{"type":"Member","name":"a"}]}`, nil, 404, "ResourceNotFound", "update run nope not found"},
		{"bad skip token", "GET", f + "/members" + v + "&$skipToken=!!", "", nil, 400, "InvalidArgument", "skip token"},
		{"bad page size", "GET", f + "/members" + v + "&$top=0", "", nil, 400, "InvalidArgument", "$top"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg, _ := ts.do(tc.method, tc.path, tc.body, tc.header...)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.text) {
				t.Fatalf("got %d %s %q; want %d %s mentioning %q", status, code, msg, tc.status, tc.code, tc.text)
			}
		})
	}
	// Read-only properties a client sends back are accepted and ignored.
	status, _, msg, _ := ts.do("PUT", f+v, `{"id":"x","name":"y","type":"z","eTag":"e","systemData":{"createdBy":"me"},"location":"eastus","properties":{"provisioningState":"Failed"}}`)
	if status != 200 {
		t.Fatalf("read-only properties: %d %s", status, msg)
	}
}
