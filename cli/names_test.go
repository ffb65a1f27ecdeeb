package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestNamesThatAreNotNamesAreNeverSent runs commands with names that are
// not valid resource names (such as "..", which a path-cleaning server
// would take for the fleet) and checks that each fails with a message
// naming the flag and what is allowed, and that nothing reached the
// server.
func TestNamesThatAreNotNamesAreNeverSent(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	env := map[string]string{
		"CARAVAN_ADDR":   srv.URL,
		"CARAVAN_TOKEN":  testToken,
		"CARAVAN_CONFIG": filepath.Join(t.TempDir(), "config.yaml"),
	}
	const allowed50 = "use 1 to 50 lower-case letters, digits and dashes"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"member", "delete", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid member name: ` + allowed50},
		{[]string{"member", "delete", "-g", "rg", "-f", "f1", "-n", "."}, `--name (-n): "." is not a valid member name`},
		{[]string{"updatestrategy", "delete", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid update strategy name`},
		{[]string{"updaterun", "delete", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid update run name`},
		{[]string{"updaterun", "plan", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid update run name`},
		{[]string{"updaterun", "events", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid update run name`},
		{[]string{"gate", "approve", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid gate name`},
		{[]string{"autoupgradeprofile", "delete", "-g", "rg", "-f", "f1", "-n", ".."}, `--name (-n): ".." is not a valid auto-upgrade profile name`},
		{[]string{"updaterun", "start", "-g", "rg", "-f", "f1", "-n", "a/../.."}, `--name (-n): "a/../.." is not a valid update run name`},
		{[]string{"member", "show", "-g", "rg", "-f", "f1", "-n", "m1/"}, `--name (-n): "m1/" is not a valid member name`},
		{[]string{"member", "create", "-g", "rg", "-f", "f1", "-n", "M1", "--cluster-id", "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c"}, `--name (-n): "M1" is not a valid member name`},
		{[]string{"member", "delete", "-g", "rg", "-f", "..", "-n", "m1"}, `--fleet-name (-f): ".." is not a valid fleet name: use 1 to 63 lower-case letters`},
		{[]string{"fleet", "delete", "-g", "rg", "-n", ".."}, `--name (-n): ".." is not a valid fleet name`},
		{[]string{"fleet", "delete", "-g", "rg", "-n", strings.Repeat("a", 64)}, `is not a valid fleet name: use 1 to 63`},
		{[]string{"member", "delete", "-g", "rg", "-f", "f1", "-n", strings.Repeat("a", 51)}, `is not a valid member name: use 1 to 50`},
		{[]string{"member", "list", "-g", "..", "-f", "f1"}, `--resource-group (-g): ".." is not a valid resource group name`},
		{[]string{"fleet", "list", "-g", "a/b"}, `--resource-group (-g): "a/b" is not a valid resource group name`},
		{[]string{"fleet", "list", "--subscription", ".."}, `--subscription: ".." is not a valid subscription name`},
		{[]string{"updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.31", "--update-strategy-name", ".."}, `--update-strategy-name: ".." is not a valid update strategy name`},
	} {
		r := runWith(t, env, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("caravan %s: exit %d, stderr %q; want a failure saying %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stdout, "Deleted") {
			t.Errorf("caravan %s printed %q", strings.Join(tc.args, " "), r.stdout)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the server received %d requests; invalid names must never be sent", n)
	}
}
