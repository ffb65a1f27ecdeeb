package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
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

// Azure's JavaScript SDK for Fleet Manager (from npm, pinned in
// jssdk/package-lock.json) drives a full update run against a caravan
// server over TLS, with the simulated cloud behind it. The SDK refuses to
// send a bearer token over plain http, so the server gets a throwaway
// certificate and node trusts it through NODE_EXTRA_CA_CERTS.
//
// It needs node and `npm ci` in e2e/jssdk; without them it skips, unless
// CARAVAN_REQUIRE_NODE=1 says they must be there.
func TestJavaScriptSDKFullRun(t *testing.T) {
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
	const token = "js-sdk-test-token"
	srv, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: dir, TLSCert: cert, TLSKey: key, Token: token,
		Simulate: true, SimSpeed: 100000, RecheckInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s is not https", srv.URL)
	}

	pool := x509.NewCertPool()
	certPEM, err := os.ReadFile(cert)
	if err != nil || !pool.AppendCertsFromPEM(certPEM) {
		t.Fatalf("reading the certificate: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

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
			cmd := exec.Command(node, "fullrun.mjs", sdk)
			cmd.Dir = "jssdk"
			cmd.Env = append(os.Environ(),
				"NODE_EXTRA_CA_CERTS="+cert,
				"CARAVAN_URL="+srv.URL,
				"CARAVAN_TOKEN="+token,
				"CARAVAN_SUBSCRIPTION=00000000-0000-0000-0000-0000000000f1",
				"CARAVAN_CLUSTERS="+strings.Join(ids, ","),
				"CARAVAN_K8S=1.32",
			)
			out, err := cmd.CombinedOutput()
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
				req, _ := http.NewRequest(http.MethodGet, srv.URL+id+"?api-version=2025-02-01", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				err = json.NewDecoder(resp.Body).Decode(&mc)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %v", id, resp.StatusCode, err)
				}
				if !strings.HasPrefix(mc.Properties.KubernetesVersion, "1.32.") {
					t.Errorf("the cloud shows cluster %s at %s after the run, want 1.32", id, mc.Properties.KubernetesVersion)
				}
			}
		})
	}
}

// throwawayCert writes a self-signed certificate for 127.0.0.1 and its
// key, and returns their paths.
func throwawayCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "caravan test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
