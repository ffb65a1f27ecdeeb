package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "caravan test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTLSAndNoSecretsInLogs serves HTTPS with a hosted simulated cloud
// (whose provider calls the server back over TLS), and checks that debug
// logs of every request never hold a token.
func TestTLSAndNoSecretsInLogs(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	logs := &syncBuffer{}
	s, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "very-secret-token", Simulate: true,
		TLSCert: certPath, TLSKey: keyPath,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %s is not https", s.URL)
	}
	id, err := s.Cloud.CreateCluster(simcloudSpec("tls-1"))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer very-secret-token")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/f"
	if code := call("PUT", f+"?api-version=2024-04-01", `{"location":"eastus"}`); code != 201 {
		t.Fatalf("fleet over TLS: %d", code)
	}
	// Creating a member makes the provider read the cluster through the
	// server's own TLS endpoint.
	if code := call("PUT", f+"/members/m?api-version=2024-04-01", `{"properties":{"clusterResourceId":"`+id+`"}}`); code != 201 {
		t.Fatalf("member over TLS: %d", code)
	}
	// The dashboard and its live stream are served over the same TLS.
	if code := call("GET", "/", ""); code != 200 {
		t.Fatalf("the dashboard over TLS: %d", code)
	}
	if code := call("GET", "/ui/stream?fleet="+url.QueryEscape(f), ""); code != 200 {
		t.Fatalf("the dashboard's stream over TLS: %d", code)
	}
	if resp, err := http.Get("http" + strings.TrimPrefix(s.URL, "https") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered on a TLS port")
		}
	}
	s.Shutdown()
	out := logs.String()
	if !strings.Contains(out, `"path":"`+f+`/members/m"`) {
		t.Fatalf("requests were not logged:\n%s", out)
	}
	if strings.Contains(out, "very-secret-token") || strings.Contains(out, "cvn_") {
		t.Fatalf("a token appears in the logs:\n%s", out)
	}
}

func simcloudSpec(name string) simcloud.ClusterSpec {
	return simcloud.ClusterSpec{Subscription: sub, Name: name, ResourceGroup: "rg-clusters", Region: "eastus", KubernetesVersion: "1.30.9"}
}
