package cli

import (
	"strings"
	"testing"
)

const goodStages = `{"stages": [
  {"name": "canary", "groups": [{"name": "canary"}], "afterStageWaitInSeconds": 3600},
  {"name": "production", "groups": [{"name": "prod-eu", "maxConcurrency": "50%"}, {"name": "prod-us"}], "maxConcurrency": "3"}
]}`

func TestFleetTables(t *testing.T) {
	ts := startServer(t)
	var out strings.Builder
	out.WriteString(ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus", "--tags", "team=platform,env=prod").ok(t).stdout)
	ts.run("fleet", "create", "-g", "rg", "-n", "f2", "-l", "westeurope").ok(t)
	ts.run("fleet", "create", "-g", "other", "-n", "f3", "-l", "southeastasia").ok(t)
	out.WriteString("\n$ fleet list -g rg\n" + ts.run("fleet", "list", "-g", "rg").ok(t).stdout)
	out.WriteString("\n$ fleet list\n" + ts.run("fleet", "list").ok(t).stdout)
	out.WriteString("\n$ fleet show\n" + ts.run("fleet", "show", "-g", "rg", "-n", "f2").ok(t).stdout)
	out.WriteString("\n$ fleet delete\n" + ts.run("fleet", "delete", "-g", "rg", "-n", "f2").ok(t).stdout)
	out.WriteString(ts.run("fleet", "delete", "-g", "rg", "-n", "f2").ok(t).stdout)
	golden(t, "fleets", out.String())
}

func TestMemberTables(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "eu-2": "prod-eu", "us-1": "prod-us", "asia-1": ""}, nil)
	ts.run("member", "update", "-g", "rg", "-f", "f1", "-n", "eu-2", "--labels", "tier=gold,env=prod").ok(t)
	var out strings.Builder
	out.WriteString("$ member list\n" + ts.run("member", "list", "-g", "rg", "-f", "f1").ok(t).stdout)
	out.WriteString("\n$ member show\n" + ts.run("member", "show", "-g", "rg", "-f", "f1", "-n", "eu-2").ok(t).stdout)
	out.WriteString("\n$ member update --update-group \"\"\n" + ts.run("member", "update", "-g", "rg", "-f", "f1", "-n", "us-1", "--update-group", "").ok(t).stdout)
	golden(t, "members", out.String())

	// -o json and yaml carry the whole resource.
	js := ts.run("member", "list", "-g", "rg", "-f", "f1", "-o", "json").ok(t).stdout
	if !strings.Contains(js, `"clusterResourceId": "/subscriptions/`) || !strings.Contains(js, `"kubernetesVersion": "1.31.4"`) {
		t.Errorf("json output:\n%s", js)
	}
	ym := ts.run("member", "show", "-g", "rg", "-f", "f1", "-n", "eu-1", "-o", "yaml").ok(t).stdout
	if !strings.Contains(ym, "group: canary") {
		t.Errorf("yaml output:\n%s", ym)
	}
	if r := ts.run("member", "delete", "-g", "rg", "-f", "f1", "-n", "asia-1").ok(t); !strings.Contains(r.stdout, "Deleted member asia-1") {
		t.Errorf("delete said %q", r.stdout)
	}
}

func TestStrategyTables(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "eu-2": "prod-eu", "eu-3": "prod-eu", "us-1": "prod-us", "asia-1": "asia", "lone": ""}, nil)
	stages := writeFile(t, "stages.json", goodStages)
	var out strings.Builder
	out.WriteString("$ updatestrategy create\n" + ts.run("updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "safe", "--stages", stages).ok(t).stdout)
	ts.run("updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "quick", "--stages", writeFile(t, "q.yaml", "stages:\n  - name: all\n    groups:\n      - name: canary\n      - name: nobody\n")).ok(t)
	out.WriteString("\n$ updatestrategy show\n" + ts.run("updatestrategy", "show", "-g", "rg", "-f", "f1", "-n", "quick").ok(t).stdout)
	out.WriteString("\n$ updatestrategy list\n" + ts.run("updatestrategy", "list", "-g", "rg", "-f", "f1").ok(t).stdout)
	golden(t, "strategies", out.String())
}

func TestRunCreateShowsTreeAndWarns(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "eu-2": "prod-eu", "us-1": "prod-us", "asia-1": "asia", "lone": ""}, nil)
	ts.run("updatestrategy", "create", "-g", "rg", "-f", "f1", "-n", "safe", "--stages", writeFile(t, "stages.json", goodStages)).ok(t)
	r := ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "to-1-32", "--upgrade-type", "Full",
		"--kubernetes-version", "1.32", "--node-image-selection", "Consistent", "--update-strategy-name", "safe").ok(t)
	golden(t, "run_created", "stdout:\n"+r.stdout+"stderr:\n"+r.stderr)
	list := ts.run("updaterun", "list", "-g", "rg", "-f", "f1").ok(t)
	golden(t, "run_list", list.stdout)
}
