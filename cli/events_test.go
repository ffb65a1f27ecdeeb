package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
)

// TestRunEvents follows a run's events from its start to its end, then
// lists them as a table and as CloudEvents.
func TestRunEvents(t *testing.T) {
	ts := startServer(t)
	ts.fleetWithMembers(map[string]string{"eu-1": "canary", "us-1": "prod"}, map[string]string{"sim-upgrade-seconds": "0.1"})
	stages := writeFile(t, "stages.json", `{"stages":[{"name":"canary","groups":[{"name":"canary"}]},{"name":"prod","groups":[{"name":"prod"}]}]}`)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32", "--stages", stages).ok(t)
	ts.run("updaterun", "start", "-g", "rg", "-f", "f1", "-n", "r1").ok(t)
	// --follow returns once the run completes.
	follow := ts.run("updaterun", "events", "-g", "rg", "-f", "f1", "-n", "r1", "--follow").ok(t).stdout
	list := ts.run("updaterun", "events", "-g", "rg", "-f", "f1", "-n", "r1").ok(t).stdout
	if follow != list {
		t.Errorf("--follow printed\n%s\nthe list\n%s", follow, list)
	}
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d  `)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n")[1:] {
		if !clock.MatchString(line) {
			t.Fatalf("line without a time: %q", line)
		}
		got = append(got, strings.Join(strings.Fields(line[10:]), " "))
	}
	want := []string{
		"created Created run r1 admin (admin)",
		"running NotStarted → Running run r1 admin (admin)",
		"stage.running NotStarted → Running canary admin (admin)",
		"group.running NotStarted → Running canary/canary admin (admin)",
		"member.running NotStarted → Running canary/canary/eu-1 engine upgrading the control plane to Kubernetes 1.32.6",
		"member.completed Running → Completed canary/canary/eu-1 engine upgraded the control plane to Kubernetes 1.32.6",
		"group.completed Running → Completed canary/canary engine",
		"wait.completed NotStarted → Completed canary/afterStageWait engine",
		"stage.completed Running → Completed canary engine",
		"stage.running NotStarted → Running prod engine",
		"group.running NotStarted → Running prod/prod engine",
		"member.running NotStarted → Running prod/prod/us-1 engine upgrading the control plane to Kubernetes 1.32.6",
		"member.completed Running → Completed prod/prod/us-1 engine upgraded the control plane to Kubernetes 1.32.6",
		"group.completed Running → Completed prod/prod engine",
		"wait.completed NotStarted → Completed prod/afterStageWait engine",
		"stage.completed Running → Completed prod engine",
		"completed Running → Completed run r1 engine",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(list, "TIME      EVENT ") {
		t.Errorf("no header:\n%s", list)
	}

	js := ts.run("updaterun", "events", "-g", "rg", "-f", "f1", "-n", "r1", "-o", "json").ok(t).stdout
	lines := strings.Split(strings.TrimSpace(js), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d JSON lines, want %d:\n%s", len(lines), len(want), js)
	}
	var ev struct {
		SpecVersion, Type, Sequence string
		Data                        struct{ State string }
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &ev); err != nil || ev.SpecVersion != "1.0" || ev.Type != "dev.caravan.updaterun.completed" || ev.Sequence == "" || ev.Data.State != "Completed" {
		t.Errorf("last JSON event %s (%v)", lines[len(lines)-1], err)
	}

	if r := ts.run("updaterun", "events", "-g", "rg", "-f", "f1", "-n", "nope"); r.code == 0 || !strings.Contains(r.stderr, "nope") {
		t.Errorf("events of a missing run: %d %s", r.code, r.stderr)
	}
	if r := ts.run("updaterun", "events", "-g", "rg", "-f", "f1", "-n", "r1", "-o", "yaml"); r.code == 0 || !strings.Contains(r.stderr, "table or json") {
		t.Errorf("-o yaml: %d %s", r.code, r.stderr)
	}
}

// TestWebhookDeliveries shows the deliveries of a run's events to a
// webhook the server was configured with.
func TestWebhookDeliveries(t *testing.T) {
	var mu sync.Mutex
	got := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
	}))
	defer hook.Close()
	file := writeFile(t, "webhooks.yaml", "webhooks:\n- name: ops\n  url: "+hook.URL+"\n  secret: 0123456789abcdef0123\n  types: [dev.caravan.updaterun.created]\n")
	ts := startServerWith(t, server.Config{WebhookFile: file})
	ts.fleetWithMembers(map[string]string{"eu-1": "canary"}, nil)
	ts.run("updaterun", "create", "-g", "rg", "-f", "f1", "-n", "r1", "--upgrade-type", "ControlPlaneOnly", "--kubernetes-version", "1.32").ok(t)
	var out string
	for deadline := time.Now().Add(10 * time.Second); ; {
		out = ts.run("webhook", "deliveries", "--subscription", "ops").ok(t).stdout
		if strings.Contains(out, "Delivered") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID  WEBHOOK  EVENT") || !regexp.MustCompile(`^1\s+ops\s+[0-9a-f]{32}\s+Delivered\s+1\s+200\s+\d{4}-`).MatchString(lines[1]) {
		t.Fatalf("deliveries:\n%s", out)
	}
	mu.Lock()
	if got != 1 {
		t.Errorf("the webhook got %d posts, want 1 (the run's creation)", got)
	}
	mu.Unlock()
	if r := ts.run("webhook", "deliveries", "--state", "Lost"); r.code == 0 || !strings.Contains(r.stderr, "Pending, Delivered or Failed") {
		t.Errorf("--state Lost: %d %s", r.code, r.stderr)
	}
	if out := ts.run("webhook", "deliveries", "--state", "Failed").ok(t).stdout; !strings.Contains(out, "No webhook deliveries.") {
		t.Errorf("failed deliveries: %s", out)
	}
}
