package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/server"
)

// TestResetStartsAgainFromNothing runs a server on a data directory,
// checks reset refuses while it runs, stops it, resets, and starts a new
// server that knows nothing of the old one's fleet.
func TestResetStartsAgainFromNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "caravan-data")
	start := func() *testServer {
		t.Helper()
		srv, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: dir, Simulate: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Shutdown() })
		return &testServer{t: t, srv: srv, env: map[string]string{"CARAVAN_ADDR": srv.URL, "CARAVAN_TOKEN": srv.Token, "CARAVAN_CONFIG": filepath.Join(t.TempDir(), "config.yaml")}}
	}
	ts := start()
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(t)

	// A second server may not share the directory.
	if _, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), "is using the data directory") {
		t.Fatalf("a second server on the same data directory: %v, want a refusal", err)
	}
	r := runWith(t, nil, "reset", "--data", dir, "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "a caravan server is using the data directory") || !strings.Contains(r.stderr, "stop it first") {
		t.Fatalf("reset while the server runs: exit %d, %s", r.code, r.stderr)
	}

	ts.srv.Shutdown()
	r = runWith(t, nil, "reset", "--data", dir)
	if r.code != ExitUsage || !strings.Contains(r.stderr, filepath.Join(dir, "caravan.db")) || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("reset without --yes: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "caravan.db")); err != nil {
		t.Fatalf("reset without --yes deleted the database: %v", err)
	}
	r = runWith(t, nil, "reset", "--data", dir, "--yes").ok(t)
	if !strings.Contains(r.stdout, "Deleted "+filepath.Join(dir, "caravan.db")) || !strings.Contains(r.stdout, "starts empty") {
		t.Fatalf("reset said:\n%s", r.stdout)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data directory is still there: %v", err)
	}
	r = runWith(t, nil, "reset", "--data", dir, "--yes").ok(t)
	if !strings.Contains(r.stdout, "Nothing to reset") {
		t.Fatalf("a second reset said:\n%s", r.stdout)
	}

	ts = start()
	if out := ts.run("fleet", "list", "-g", "rg").ok(t).stdout; strings.Contains(out, "f1") {
		t.Fatalf("after a reset the server still has fleet f1:\n%s", out)
	}
}

func TestResetLeavesFilesThatAreNotCaravans(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"caravan.db", "admin-token", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := runWith(t, nil, "reset", "--data", dir, "--yes").ok(t)
	if !strings.Contains(r.stdout, "Left "+filepath.Join(dir, "notes.txt")) {
		t.Fatalf("reset said:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
}

func TestVersionReadsTheBuildInfo(t *testing.T) {
	b := readBuildInfo(func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-11-30T01:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, true
	})
	var out strings.Builder
	b.render(&out)
	for _, want := range []string{"caravan:      v0.4.0", "commit:       0123456789abcdef (with uncommitted changes)", "commit time:  2026-11-30T01:00:00Z", "go:           go1.26.0 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
	if b := readBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false }); b.Version != "unknown" || b.GoVersion == "" {
		t.Errorf("without build info: %+v", b)
	}
	r := runWith(t, nil, "version", "-o", "json").ok(t)
	if !strings.Contains(r.stdout, `"version":`) || !strings.Contains(r.stdout, `"goVersion": "go1.`) {
		t.Errorf("caravan version -o json printed:\n%s", r.stdout)
	}
}
