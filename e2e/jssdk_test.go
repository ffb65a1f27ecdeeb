package e2e

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// Azure's JavaScript SDK for Fleet Manager (from npm, pinned in
// jssdk/package-lock.json) drives a full update run against a caravan
// server over TLS, with the simulated cloud behind it. The SDK refuses to
// send a bearer token over plain http, so the server gets a throwaway
// certificate and node trusts it through NODE_EXTRA_CA_CERTS.
//
// It needs node and `npm ci` in e2e/jssdk; without them it skips, unless
// CARAVAN_REQUIRE_NODE=1 says they must be there.
func TestJavaScriptSDKFullRun(t *testing.T) {
	node := nodeWithSDK(t)
	srv := startTLSServer(t, "js-sdk-test-token", server.Config{})
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s is not https", srv.URL)
	}
	for _, sdk := range []string{"2.0.0", "1.1.0"} {
		t.Run(sdk, func(t *testing.T) {
			var ids []string
			for i, region := range []string{"eastus", "westeurope", "eastus"} {
				id, err := srv.Cloud.CreateCluster(simcloud.ClusterSpec{
					Name: "js-" + strings.ReplaceAll(sdk, ".", "-") + "-" + string(rune('a'+i)), ResourceGroup: "aks-js", Region: region, KubernetesVersion: "1.31",
				})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			out, err := srv.node(t, node, []string{"fullrun.mjs", sdk},
				"CARAVAN_SUBSCRIPTION=00000000-0000-0000-0000-0000000000f1",
				"CARAVAN_CLUSTERS="+strings.Join(ids, ","),
				"CARAVAN_K8S=1.32",
			)
			if err != nil || !strings.Contains(string(out), "OK "+sdk+": run-1 Completed with 3 members") {
				t.Fatalf("node fullrun.mjs %s: %v\n%s", sdk, err, out)
			}
			// The cloud agrees: its GET of every cluster shows 1.32.
			for _, id := range ids {
				var mc struct {
					Properties struct {
						KubernetesVersion string `json:"kubernetesVersion"`
					} `json:"properties"`
				}
				srv.cloudCluster(t, id, &mc)
				if !strings.HasPrefix(mc.Properties.KubernetesVersion, "1.32.") {
					t.Errorf("the cloud shows cluster %s at %s after the run, want 1.32", id, mc.Properties.KubernetesVersion)
				}
			}
		})
	}
}
