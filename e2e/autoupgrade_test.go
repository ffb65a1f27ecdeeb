package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	node, err := exec.LookPath("node")
	modules := filepath.Join("jssdk", "node_modules", "@azure", "arm-containerservicefleet")
	if _, serr := os.Stat(modules); err != nil || serr != nil {
		if os.Getenv("CARAVAN_REQUIRE_NODE") == "1" {
			t.Fatalf("node (%v) and the SDK installed by `npm ci` in e2e/jssdk (%v) are required", err, serr)
		}
		t.Skip("node or e2e/jssdk/node_modules missing; run `npm ci` in e2e/jssdk (CARAVAN_REQUIRE_NODE=1 makes this an error)")
	}
	dir := t.TempDir()
	cert, key := throwawayCert(t, dir)
	const token = "js-sdk-autoupgrade-token"
	srv, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: dir, TLSCert: cert, TLSKey: key, Token: token,
		Simulate: true, SimSpeed: 100000, RecheckInterval: 200 * time.Millisecond,
		AutoUpgradeInterval: 300 * time.Millisecond,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })

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
	cmd := exec.Command(node, "autoupgrade.mjs")
	cmd.Dir = "jssdk"
	cmd.Env = append(os.Environ(),
		"NODE_EXTRA_CA_CERTS="+cert,
		"CARAVAN_URL="+srv.URL,
		"CARAVAN_TOKEN="+token,
		"CARAVAN_SUBSCRIPTION=00000000-0000-0000-0000-0000000000a7",
		"CARAVAN_CLUSTERS="+strings.Join(ids, ","),
		"CARAVAN_EXPECT="+string(expect),
		"CARAVAN_PUBLISH="+image,
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK autoupgrade:") {
		t.Fatalf("node autoupgrade.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)

	// The cloud agrees: every pool of every cluster runs the published
	// image.
	pool := x509.NewCertPool()
	certPEM, err := os.ReadFile(cert)
	if err != nil || !pool.AppendCertsFromPEM(certPEM) {
		t.Fatalf("reading the certificate: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, id := range ids {
		var mc struct {
			Properties struct {
				AgentPoolProfiles []struct {
					Name             string `json:"name"`
					NodeImageVersion string `json:"nodeImageVersion"`
				} `json:"agentPoolProfiles"`
			} `json:"properties"`
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+id+"?api-version=2025-02-01", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&mc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(mc.Properties.AgentPoolProfiles) == 0 {
			t.Fatalf("GET %s: %d %v", id, resp.StatusCode, err)
		}
		for _, p := range mc.Properties.AgentPoolProfiles {
			if p.NodeImageVersion != image {
				t.Errorf("the cloud shows pool %s of %s on %s, want %s", p.Name, id, p.NodeImageVersion, image)
			}
		}
	}
}
