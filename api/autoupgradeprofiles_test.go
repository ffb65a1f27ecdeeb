package api_test

import (
	"strings"
	"testing"
)

func TestAutoUpgradeProfileBadInput(t *testing.T) {
	ts := newTestServer(t)
	ts.fleetWithMembers(map[string]string{"a": "canary"})
	base := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/"
	f := base + "fleet-1"
	v := "?api-version=2025-03-01"
	if status, _, msg, _ := ts.do("PUT", base+"fleet-2"+v, `{"location":"eastus"}`); status != 201 {
		t.Fatalf("PUT fleet-2: %d %s", status, msg)
	}
	if status, _, msg, _ := ts.do("PUT", base+"fleet-2/updateStrategies/s1"+v, `{"properties":{"strategy":{"stages":[{"name":"s","groups":[{"name":"canary"}]}]}}}`); status != 201 {
		t.Fatalf("PUT strategy: %d %s", status, msg)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, text               string
	}{
		{"unknown channel", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"Fast"}}`, 400, "InvalidArgument", `properties.channel: "Fast" is not a channel`},
		{"no channel", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{}}`, 400, "InvalidArgument", "properties.channel: a channel is required"},
		{"target without a version", "PUT", f + "/autoUpgradeProfiles/p?api-version=2025-04-01-preview", `{"properties":{"channel":"TargetKubernetesVersion"}}`, 400, "InvalidArgument", "properties.targetKubernetesVersion: the TargetKubernetesVersion channel needs a target minor"},
		{"target channel before its version", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"TargetKubernetesVersion","targetKubernetesVersion":"1.32"}}`, 400, "InvalidRequestContent", "is not defined in api-version 2025-03-01; it comes with api-version 2025-04-01-preview"},
		{"strategy of another fleet", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"Stable","updateStrategyId":"` + base + `fleet-2/updateStrategies/s1"}}`, 400, "InvalidArgument", "properties.updateStrategyId: update strategy s1 belongs to another fleet; a profile can only use a strategy of its own fleet"},
		{"missing strategy", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"Stable","updateStrategyId":"` + f + `/updateStrategies/nope"}}`, 400, "InvalidArgument", "properties.updateStrategyId: update strategy nope does not exist"},
		{"custom node images", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"NodeImage","nodeImageSelection":{"type":"Custom"}}}`, 400, "InvalidArgument", "properties.nodeImageSelection.type"},
		{"unknown property", "PUT", f + "/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"Stable","chanel":"Rapid"}}`, 400, "InvalidRequestContent", "properties.chanel: unknown property"},
		{"api-version before profiles", "PUT", f + "/autoUpgradeProfiles/p?api-version=2024-04-01", `{"properties":{"channel":"Stable"}}`, 400, "InvalidApiVersionParameter", "use 2025-03-01 or later"},
		{"no fleet", "PUT", base + "nope/autoUpgradeProfiles/p" + v, `{"properties":{"channel":"Stable"}}`, 404, "ParentResourceNotFound", "fleet nope not found"},
		{"generate from no profile", "POST", f + "/autoUpgradeProfiles/nope/generateUpdateRun" + v, ``, 404, "ResourceNotFound", "auto-upgrade profile nope of fleet fleet-1 not found"},
		{"generate with GET", "GET", f + "/autoUpgradeProfiles/p/generateUpdateRun" + v, ``, 405, "MethodNotAllowed", "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg, _ := ts.do(tc.method, tc.path, tc.body)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.text) {
				t.Errorf("%d %s %q, want %d %s containing %q", status, code, msg, tc.status, tc.code, tc.text)
			}
		})
	}
	// Nothing was created by any of them.
	if status, _, _, _ := ts.do("GET", f+"/autoUpgradeProfiles/p"+v, ""); status != 404 {
		t.Errorf("a refused profile exists: %d", status)
	}
}
