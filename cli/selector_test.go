package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

// TestSelectorGroupsOnARealServer creates a run whose group selects
// members by label, and one whose two groups match the same member.
func TestSelectorGroupsOnARealServer(t *testing.T) {
	ts := startServer(t)
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(t)
	for _, m := range []struct{ name, labels string }{{"eu-1", "ring=1,region=eu"}, {"eu-2", "ring=2,region=eu"}, {"us-1", "ring=1,region=us"}} {
		id := ts.cluster(m.name, "eastus", "1.31.4", "AKSUbuntu-2204gen2containerd-202502.09.0", nil)
		ts.run("member", "create", "-g", "rg", "-f", "f1", "-n", m.name, "--cluster-id", id, "--labels", m.labels).ok(t)
	}
	stages := writeFile(t, "stages.json", `{"stages":[{"name":"first","groups":[{"name":"ring-one","memberSelector":{"byLabel":"ring=1"}}]},{"name":"second","groups":[{"name":"rest","memberSelector":{"byLabel":"ring notin (1)"}}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", stages).ok(t)
	js := ts.run("updaterun", "show", "-g", "rg", "-f", "f1", "-n", "r1", "-o", "json").ok(t).stdout
	var run fleet.UpdateRun
	if err := json.Unmarshal([]byte(js), &run); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range run.Properties.Status.Stages {
		for _, g := range st.Groups {
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, m.Name)
			}
			got = append(got, g.Name+":"+strings.Join(ms, ","))
		}
	}
	if strings.Join(got, " ") != "ring-one:eu-1,us-1 rest:eu-2" {
		t.Fatalf("groups took %v", got)
	}
	both := writeFile(t, "both.json", `{"stages":[{"name":"first","groups":[{"name":"ring-one","memberSelector":{"byLabel":"ring=1"}},{"name":"eu","memberSelector":{"byLabel":"region=eu"}}]}]}`)
	r := ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r2", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", both)
	if r.code == 0 || !strings.Contains(r.stderr, `member "eu-1" is matched by both group "ring-one" and group "eu"`) {
		t.Fatalf("two groups matching one member: %d %s", r.code, r.stderr)
	}
	bad := writeFile(t, "bad.json", `{"stages":[{"name":"first","groups":[{"name":"g","memberSelector":{"byLabel":"ring in 1"}}]}]}`)
	r = ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r3", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "memberSelector.byLabel") {
		t.Fatalf("a bad selector: %d %s", r.code, r.stderr)
	}
}
