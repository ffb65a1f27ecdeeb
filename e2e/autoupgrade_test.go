package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// Azure's JavaScript SDK 2.0.0 drives auto-upgrade profiles over TLS
// (e2e/jssdk/autoupgrade.mjs): CRUD, bad input, generateUpdateRun for
// each channel, and an enabled NodeImage profile that starts a run by
// itself once a node image is published; the cloud then shows every
// cluster on that image. Needs node and `npm ci` in e2e/jssdk, as
// TestJavaScriptSDKFullRun does.
func TestJavaScriptSDKAutoUpgrade(t *testing.T) {
	node := nodeWithSDK(t)
	srv := startTLSServer(t, "js-sdk-autoupgrade-token", server.Config{AutoUpgradeInterval: 300 * time.Millisecond})

	var ids []string
	for _, name := range []string{"au-a", "au-b"} {
		id, err := srv.Cloud.CreateCluster(simcloud.ClusterSpec{Name: name, ResourceGroup: "aks-auto", Region: "eastus", KubernetesVersion: "1.32"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The default catalog's newest minor in eastus is 1.33 (newest patch
	// 1.33.2); the one before it is 1.32 (1.32.6).
	expect, _ := json.Marshal(map[string]string{"Stable": "1.32.6", "Rapid": "1.33.2", "TargetMinor": "1.33", "TargetKubernetesVersion": "1.33.2"})
	image := simcloud.FamilyUbuntu2204 + "-202506.20.0"
	out, err := srv.node(t, node, []string{"autoupgrade.mjs"},
		"CARAVAN_SUBSCRIPTION=00000000-0000-0000-0000-0000000000a7",
		"CARAVAN_CLUSTERS="+strings.Join(ids, ","),
		"CARAVAN_EXPECT="+string(expect),
		"CARAVAN_PUBLISH="+image,
	)
	if err != nil || !strings.Contains(string(out), "OK autoupgrade:") {
		t.Fatalf("node autoupgrade.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// The cloud agrees: every pool of every cluster runs the published
	// image.
	for _, id := range ids {
		var mc struct {
			Properties struct {
				AgentPoolProfiles []struct {
					Name             string `json:"name"`
					NodeImageVersion string `json:"nodeImageVersion"`
				} `json:"agentPoolProfiles"`
			} `json:"properties"`
		}
		srv.cloudCluster(t, id, &mc)
		if len(mc.Properties.AgentPoolProfiles) == 0 {
			t.Fatalf("the cloud shows no pools of %s", id)
		}
		for _, p := range mc.Properties.AgentPoolProfiles {
			if p.NodeImageVersion != image {
				t.Errorf("the cloud shows pool %s of %s on %s, want %s", p.Name, id, p.NodeImageVersion, image)
			}
		}
	}
}
