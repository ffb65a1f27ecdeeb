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
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
)

// nodeWithSDK returns the path of node, with Azure's JavaScript SDK
// installed by `npm ci` in e2e/jssdk. Without them the test skips, unless
// CARAVAN_REQUIRE_NODE=1 says they must be there.
func nodeWithSDK(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	modules := filepath.Join("jssdk", "node_modules", "@azure", "arm-containerservicefleet")
	if _, serr := os.Stat(modules); err != nil || serr != nil {
		if os.Getenv("CARAVAN_REQUIRE_NODE") == "1" {
			t.Fatalf("node (%v) and the SDK installed by `npm ci` in e2e/jssdk (%v) are required", err, serr)
		}
		t.Skip("node or e2e/jssdk/node_modules missing; run `npm ci` in e2e/jssdk (CARAVAN_REQUIRE_NODE=1 makes this an error)")
	}
	return node
}

// tlsServer is a caravan server with its simulated cloud, served over TLS
// with a throwaway certificate: Azure's JavaScript SDK refuses to send a
// bearer token over plain http.
type tlsServer struct {
	*server.Server
	cert, token string
	// client trusts the server's certificate.
	client *http.Client
}

// startTLSServer starts a server on cfg, filled in with a loopback
// address, a data directory, the certificate, token and the simulated
// cloud at full speed.
func startTLSServer(t *testing.T, token string, cfg server.Config) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	cert, key := throwawayCert(t, dir)
	cfg.Addr, cfg.DataDir, cfg.TLSCert, cfg.TLSKey, cfg.Token = "127.0.0.1:0", dir, cert, key, token
	cfg.Simulate, cfg.SimSpeed, cfg.RecheckInterval = true, 100000, 200*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	pool := x509.NewCertPool()
	certPEM, err := os.ReadFile(cert)
	if err != nil || !pool.AppendCertsFromPEM(certPEM) {
		t.Fatalf("reading the certificate: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return &tlsServer{Server: srv, cert: cert, token: token, client: client}
}

// node runs a script of e2e/jssdk against the server, node trusting its
// certificate through NODE_EXTRA_CA_CERTS, and returns what it printed.
func (s *tlsServer) node(t *testing.T, node string, args []string, env ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(node, args...)
	cmd.Dir = "jssdk"
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+s.cert, "CARAVAN_URL="+s.URL, "CARAVAN_TOKEN="+s.token)
	cmd.Env = append(cmd.Env, env...)
	return cmd.CombinedOutput()
}

// cloudCluster decodes the simulated cloud's GET of a managed cluster.
func (s *tlsServer) cloudCluster(t *testing.T, id string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+id+"?api-version=2025-02-01", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", id, resp.StatusCode, err)
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
