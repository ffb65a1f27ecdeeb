package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/server"
)

// TestErrorMessages checks that every kind of failure is told in one or
// two lines that say what to do, with the right exit code.
func TestErrorMessages(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary"}, nil)
	dir := t.TempDir()
	files := map[string]string{
		"bad-name.json":    `{"stages":[{"name":"canary","groups":[{"name":"canary"}]},{"name":"prod","groups":[{"name":"Prod"}]}]}`,
		"typo.json":        `{"stages":[{"name":"a","groups":[{"name":"x","maxConcurency":"1"}]}]}`,
		"number.json":      `{"stages":[{"name":"a","groups":[{"name":"x","maxConcurrency":2}]}]}`,
		"syntax.json":      "{\"stages\":[\n  {\"name\":\"a\",,}]}",
		"twice.json":       `{"stages":[{"name":"a","groups":[{"name":"x"}]},{"name":"b","groups":[{"name":"x"}]}]}`,
		"empty-group.json": `{"stages":[{"name":"a","groups":[{"name":"canary"}]},{"name":"b","groups":[{"name":"nobody"}]}]}`,
		"no-stages.json":   `{"stage":[]}`,
	}
	for name, content := range files {
		writeFileIn(t, dir, name, content)
	}
	readerFile := writeFileIn(t, dir, "tokens.yaml", fmt.Sprintf("tokens:\n  - name: viewer\n    role: reader\n    sha256: %s\n", auth.Hash("reader-token")))
	readers := startServerWith(t, server.Config{TokenFile: readerFile})
	readers.env["CARAVAN_TOKEN"] = "reader-token"

	cases := []struct {
		name string
		ts   *testServer
		env  map[string]string
		args []string
		// contains, when set, is checked instead of the golden file, for
		// messages whose wording belongs to the cloud.
		contains string
	}{
		{"missing flag", ts, nil, []string{"fleet", "create", "-g", "rg", "-n", "f9"}, ""},
		{"missing fleet flag", ts, nil, []string{"member", "list", "-g", "rg"}, ""},
		{"missing group", ts, nil, []string{"member", "list", "-f", "f1"}, ""},
		{"unknown command", ts, nil, []string{"fleet", "lst"}, ""},
		{"unknown flag", ts, nil, []string{"fleet", "show", "--nmae", "x"}, ""},
		{"positional argument", ts, nil, []string{"fleet", "show", "f1"}, ""},
		{"bad output", ts, nil, []string{"fleet", "list", "-o", "xml"}, ""},
		{"unknown fleet", ts, nil, []string{"fleet", "show", "-g", "rg", "-n", "nope"}, ""},
		{"unknown member", ts, nil, []string{"member", "show", "-g", "rg", "-f", "f1", "-n", "nope"}, ""},
		{"member of unknown fleet", ts, nil, []string{"member", "show", "-g", "rg", "-f", "nope", "-n", "eu-1"}, ""},
		{"unknown run", ts, nil, []string{"updaterun", "start", "-g", "rg", "-f", "f1", "-n", "nope"}, ""},
		{"unknown strategy for a run", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "Full", "--kubernetes-version", "1.32", "--update-strategy-name", "nope"}, ""},
		{"cluster does not exist", ts, nil, []string{"member", "create", "-g", "rg", "-f", "f1", "-n", "ghost", "--cluster-id", "/subscriptions/s/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/ghost"}, "error: --cluster-id: cluster /subscriptions/s/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/ghost does not exist"},
		{"bad cluster id", ts, nil, []string{"member", "create", "-g", "rg", "-f", "f1", "-n", "m", "--cluster-id", "/subscriptions/s/clusters/x"}, ""},
		{"stages: bad name", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/bad-name.json"}, ""},
		{"stages: unknown property", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/typo.json"}, ""},
		{"stages: wrong type", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/number.json"}, ""},
		{"stages: syntax", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/syntax.json"}, ""},
		{"stages: group twice", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/twice.json"}, ""},
		{"stages: no stages", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/no-stages.json"}, ""},
		{"stages: missing file", ts, nil, []string{"updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "s", "--stages", dir + "/absent.json"}, ""},
		{"run: group without members", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "Full", "--kubernetes-version", "1.32", "--stages", dir + "/empty-group.json"}, ""},
		{"run: no version", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "ControlPlaneOnly"}, ""},
		{"run: bad type", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "Partial"}, ""},
		{"run: version with node images", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "NodeImageOnly", "--kubernetes-version", "1.32"}, ""},
		{"run: bad custom image", ts, nil, []string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r", "--upgrade-type", "NodeImageOnly", "--custom-node-image-versions", "ubuntu"}, ""},
		{"skip: bad target", ts, nil, []string{"updaterun", "skip", "-g", "rg", "-f", "f1", "-n", "r", "--targets", "Cluster:x"}, ""},
		{"no token", ts, map[string]string{"CARAVAN_TOKEN": ""}, []string{"fleet", "list"}, ""},
		{"refused token", ts, map[string]string{"CARAVAN_TOKEN": "wrong"}, []string{"fleet", "list"}, ""},
		{"role too low", readers, nil, []string{"fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus"}, ""},
		{"role too low for a run", readers, nil, []string{"updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r"}, ""},
		{"unreachable", ts, map[string]string{"CARAVAN_ADDR": "http://127.0.0.1:1"}, []string{"fleet", "list"}, ""},
		{"bad address", ts, map[string]string{"CARAVAN_ADDR": "ftp://x"}, []string{"fleet", "list"}, ""},
	}
	var out strings.Builder
	for _, tc := range cases {
		env := map[string]string{}
		for k, v := range tc.ts.env {
			env[k] = v
		}
		for k, v := range tc.env {
			env[k] = v
		}
		r := runWith(t, env, tc.args...)
		if r.code == 0 {
			t.Errorf("%s: succeeded:\n%s", tc.name, r.stdout)
		}
		if lines := strings.Count(r.stderr, "\n"); lines < 1 || lines > 2 {
			t.Errorf("%s: %d lines of error:\n%s", tc.name, lines, r.stderr)
		}
		if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: a stack trace:\n%s", tc.name, r.stderr)
		}
		if tc.contains != "" {
			if !strings.Contains(r.stderr, tc.contains) {
				t.Errorf("%s: %s, want it to contain %q", tc.name, r.stderr, tc.contains)
			}
			continue
		}
		stderr := strings.ReplaceAll(r.stderr, dir, "DIR")
		stderr = strings.ReplaceAll(stderr, readers.srv.URL, "URL")
		fmt.Fprintf(&out, "# %s\n$ caravan %s\nexit %d\n%s\n", tc.name, strings.ReplaceAll(strings.Join(tc.args, " "), dir, "DIR"), r.code, stderr)
	}
	golden(t, "errors", out.String())
}

func writeFileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := dir + "/" + name
	if err := writeAll(path, content); err != nil {
		t.Fatal(err)
	}
	return path
}
