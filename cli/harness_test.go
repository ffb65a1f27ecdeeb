package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testToken = "test-token"

// testServer is a real caravan server, started in-process on a free
// loopback port with a simulated cloud.
type testServer struct {
	t   *testing.T
	srv *server.Server
	// env is the environment commands see: the server's address and
	// token, and a config file of their own.
	env map[string]string
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, server.Config{})
}

func startServerWith(t *testing.T, cfg server.Config) *testServer {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	if cfg.Token == "" && cfg.TokenFile == "" {
		cfg.Token = testToken
	}
	cfg.Simulate = true
	cfg.RecheckInterval = 200 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return &testServer{t: t, srv: srv, env: map[string]string{
		"CARAVAN_ADDR":   srv.URL,
		"CARAVAN_TOKEN":  testToken,
		"CARAVAN_CONFIG": filepath.Join(t.TempDir(), "config.yaml"),
	}}
}

// result is what a command printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a caravan command line in-process against the server.
func (ts *testServer) run(args ...string) result {
	ts.t.Helper()
	return runWith(ts.t, ts.env, args...)
}

// runWith runs a command line with the given environment, times shown in
// UTC, and no terminal.
func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCtx(context.Background(), t, env, false, args...)
}

func runCtx(ctx context.Context, t *testing.T, env map[string]string, terminalOut bool, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := Env{
		Stdin:    strings.NewReader(""),
		Stdout:   &out,
		Stderr:   &errOut,
		Getenv:   func(k string) string { return env[k] },
		Location: time.UTC,
		Terminal: func(io.Writer) (int, int, bool) { return 200, 0, terminalOut },
	}
	code := Run(ctx, args, e)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// ok fails the test unless the command succeeded.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// cluster creates a simulated cluster with fixed versions and node
// images, so tables that show them are the same every run.
func (ts *testServer) cluster(name, region, k8s, image string, tags map[string]string) string {
	ts.t.Helper()
	id, err := ts.srv.Cloud.CreateCluster(simcloud.ClusterSpec{
		Name: name, ResourceGroup: "aks", Region: region, KubernetesVersion: k8s, Tags: tags,
		Pools: []simcloud.PoolSpec{{Name: "nodepool1", Mode: "System", Count: 1, NodeImageVersion: image}},
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return id
}

// fleetWithMembers creates fleet f1 in resource group rg with members
// named and grouped as given (member → group; "" for none).
func (ts *testServer) fleetWithMembers(members map[string]string, tags map[string]string) {
	ts.t.Helper()
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(ts.t)
	regions := []string{"eastus", "westeurope", "southeastasia"}
	i := 0
	for _, name := range sortedKeys(members) {
		id := ts.cluster(name, regions[i%3], "1.31.4", "AKSUbuntu-2204gen2containerd-202502.09.0", tags)
		args := []string{"member", "create", "-g", "rg", "-f", "f1", "-n", name, "--cluster-id", id}
		if g := members[name]; g != "" {
			args = append(args, "--update-group", g)
		}
		ts.run(args...).ok(ts.t)
		i++
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeAll(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// golden compares got with testdata/name.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./cli -run %s -update to create it", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./cli -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
