package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

// screenshots, when set, is a directory the browser test writes the
// dashboard's screenshots to (docs/images is where the docs look):
//
//	go test ./web -run Chromium -args -screenshots ../docs/images
var screenshots = flag.String("screenshots", "", "directory to write the dashboard's screenshots to")

const (
	chromiumPath = "/usr/bin/chromium"
	sub          = "00000000-0000-0000-0000-000000000000"
	rg           = "platform"
	adminToken   = "admin-secret"
	operatorTok  = "operator-secret"
	readerTok    = "reader-secret"
)

// chromium returns the path of the browser, skipping the test when there
// is none unless CARAVAN_REQUIRE_CHROMIUM=1 says it must be there.
func chromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			if os.Getenv("CARAVAN_REQUIRE_CHROMIUM") == "1" {
				t.Fatalf("chromium is not installed but CARAVAN_REQUIRE_CHROMIUM=1: apt-get install -y chromium")
			}
			t.Skip("chromium is not installed (apt-get install chromium); set CARAVAN_REQUIRE_CHROMIUM=1 to require it")
		}
	}
	return path
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startServer starts caravan serve with the simulated cloud on a free
// loopback port, with an operator and a reader besides the admin.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "tokens.yaml")
	body := fmt.Sprintf("tokens:\n  - {name: olivia, role: operator, sha256: %s}\n  - {name: rita, role: reader, sha256: %s}\n", hash(operatorTok), hash(readerTok))
	if err := os.WriteFile(tokenFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(context.Background(), server.Config{
		Addr:            "127.0.0.1:0",
		DataDir:         dir,
		Token:           adminToken,
		TokenFile:       tokenFile,
		Simulate:        true,
		RecheckInterval: time.Second,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown() })
	return s
}

// seedFleet creates a fleet of seven members in three update groups, one
// of them behind the others, and a NotStarted run "to-1-32" through
// canary then production whose upgrades take upgradeSeconds each. The
// upgrades of the members named in failing fail.
func seedFleet(t *testing.T, s *server.Server, upgradeSeconds string, failing ...string) (*client.Client, fleet.FleetRef) {
	t.Helper()
	ctx := context.Background()
	c, err := client.New(client.Config{URL: s.URL, Token: adminToken, Subscription: sub, ResourceGroup: rg})
	if err != nil {
		t.Fatal(err)
	}
	ref := fleet.FleetRef{Subscription: sub, ResourceGroup: rg, Fleet: "prod-fleet"}
	if _, err := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"}); err != nil {
		t.Fatal(err)
	}
	members := []struct{ name, group, region, k8s string }{
		{"canary-1", "canary", "westus2", "1.31.8"},
		{"prod-west-1", "prod-west", "westus2", "1.31.8"},
		{"prod-west-2", "prod-west", "westus2", "1.31.8"},
		{"prod-west-3", "prod-west", "westus2", "1.31.4"},
		{"prod-east-1", "prod-east", "eastus", "1.31.8"},
		{"prod-east-2", "prod-east", "eastus", "1.31.8"},
		{"prod-east-3", "prod-east", "eastus", "1.31.8"},
	}
	for _, m := range members {
		tags := map[string]string{simcloud.TagUpgradeSeconds: upgradeSeconds}
		if slices.Contains(failing, m.name) {
			tags[simcloud.TagFailUpgrade] = "true"
		}
		id, err := s.Cloud.CreateCluster(simcloud.ClusterSpec{
			Subscription: sub, Name: m.name, ResourceGroup: "aks", Region: m.region, KubernetesVersion: m.k8s,
			Tags:  tags,
			Pools: []simcloud.PoolSpec{{Name: "system"}, {Name: "user", OSSKU: "AzureLinux"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutMember(ctx, ref, m.name, fleet.Member{Properties: fleet.MemberProperties{ClusterResourceID: id, Group: m.group}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.PutRun(ctx, ref, "to-1-32", fleet.UpdateRunProperties{
		Strategy: &fleet.RunStrategy{Stages: []fleet.Stage{
			{Name: "canary", Groups: []fleet.Group{{Name: "canary"}}, AfterStageWaitInSeconds: 1},
			{Name: "production", Groups: []fleet.Group{{Name: "prod-west"}, {Name: "prod-east"}}},
		}},
		ManagedClusterUpdate: fleet.ManagedClusterUpdate{
			Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.32"},
			NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, ref
}

// browser starts a headless Chromium of the given window size.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first action starts the browser, on a context without a
	// deadline (a deadline there would end the browser); each of the
	// test's steps runs under one.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("error starting chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The page gets exactly width × height, whatever the window's frame.
	run(t, bctx, "set the viewport", chromedp.EmulateViewport(int64(width), int64(height)))
	return bctx
}

// stepTimeout bounds each step of the browser test.
const stepTimeout = 30 * time.Second

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		// Say what the page showed, on a context of its own: ctx may be
		// the one that ran out.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		page, _ := chromedp.Run(pctx, chromedp.Evaluate[string](`location.hash + "\n" + document.body.innerText`))
		t.Fatalf("%s: %v; the page showed:\n%s", what, err, page)
	}
}

// signIn opens the dashboard and signs in with token.
func signIn(t *testing.T, ctx context.Context, url, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Click(chromedp.CSS(`#signin-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#fleets`)),
	)
}

// shoot writes a screenshot of the viewport, or of the whole page when
// full, if screenshots were asked for.
func shoot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	// Let the page settle (fonts, the progress bars' widths) first.
	run(t, ctx, "settle before "+name, chromedp.Sleep(300*time.Millisecond))
	capture := chromedp.CaptureScreenshot()
	if full {
		capture = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, capture)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// setMark leaves a mark on the page that loading a page would wipe.
var setMark = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := chromedp.Evaluate[string](`window.caravanMark = "still here"`)(ctx, tg)
	return err
})

// checkMark fails the test if the page was loaded again since setMark.
func checkMark(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	mark, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.caravanMark || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if mark != "still here" {
		t.Fatalf("%s reloaded to show a change; it should update in place", page)
	}
}

// TestDashboardInChromium signs in, looks at fleets and members, opens a
// running run, sees a member finish without a reload, stops and starts
// the run, and checks that a reader cannot stop it.
func TestDashboardInChromium(t *testing.T) {
	s := startServer(t)
	c, ref := seedFleet(t, s, "1.5")
	ctx := browser(t, 1280, 800)

	signIn(t, ctx, s.URL, operatorTok)
	if got := text(t, ctx, `#fleets`); !strings.Contains(got, "prod-fleet") || !strings.Contains(got, rg) {
		t.Fatalf("the fleets page shows %q, want fleet prod-fleet in %s", got, rg)
	}
	shoot(t, ctx, "fleets.png", false)

	// Members, grouped by update group, with the member behind the
	// fleet's majority marked.
	run(t, ctx, "open the fleet",
		chromedp.Click(chromedp.CSS(`#fleets a[href*="prod-fleet"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#members tr[data-member="prod-west-3"]`)),
	)
	drift, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#members tr[data-member="prod-west-3"]`), "data-drift"))
	if err != nil {
		t.Fatal(err)
	}
	steady, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#members tr[data-member="prod-west-1"]`), "data-drift"))
	if err != nil {
		t.Fatal(err)
	}
	if drift.Value != "true" || steady.Value != "false" {
		t.Fatalf("drift marks: prod-west-3 %q, prod-west-1 %q; want true and false", drift.Value, steady.Value)
	}
	members := text(t, ctx, `#members`)
	for _, want := range []string{"Update group canary", "Update group prod-west", "Update group prod-east", "westus2", "1.31.4", "1.31.8", "system:", "user:", "AKSUbuntu", "AKSAzureLinux"} {
		if !strings.Contains(members, want) {
			t.Errorf("the members page lacks %q:\n%s", want, members)
		}
	}
	if got := text(t, ctx, `#majority`); !strings.Contains(got, "Kubernetes 1.31.8") || !strings.Contains(got, "1 member differs") {
		t.Errorf("majority line %q, want Kubernetes 1.31.8 and 1 member differing", got)
	}
	shoot(t, ctx, "members.png", true)
	if *screenshots != "" {
		run(t, ctx, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
		shoot(t, ctx, "members-phone.png", false)
		run(t, ctx, "desktop size", chromedp.EmulateViewport(1280, 800))
	}

	// The fleet's runs, live: the run starts while the list is open.
	run(t, ctx, "open the runs",
		chromedp.Click(chromedp.CSS(`.tabs a[href*="tab=runs"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#runs tr[data-run="to-1-32"][data-state="NotStarted"]`)),
		setMark,
	)
	if _, err := c.StartRun(context.Background(), ref, "to-1-32"); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "see the run start in the list",
		chromedp.WaitVisible(chromedp.CSS(`#runs tr[data-run="to-1-32"][data-state="Running"]`)),
	)
	checkMark(t, ctx, "the runs page")
	shoot(t, ctx, "runs.png", false)

	// The running run, live.
	run(t, ctx, "open the run",
		chromedp.Click(chromedp.CSS(`#runs a`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="canary-1"][data-state="Running"]`)),
		setMark,
	)
	run(t, ctx, "see the canary member finish",
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="canary-1"][data-state="Completed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="prod-west-1"][data-state="Running"]`)),
	)
	checkMark(t, ctx, "the run page")
	if got := text(t, ctx, `#run`); !strings.Contains(got, "AKSUbuntu-2204gen2containerd-") || !strings.Contains(got, "Full to Kubernetes 1.32") {
		t.Errorf("the run's head lacks the selected node images or the upgrade:\n%s", got)
	}
	shoot(t, ctx, "run-live.png", true)

	// Stop, then start again.
	run(t, ctx, "stop the run",
		chromedp.Click(chromedp.CSS(`#stop`)),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-state="Stopped"]`)),
	)
	run(t, ctx, "start the run",
		chromedp.Click(chromedp.CSS(`#start`)),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-state="Running"]`)),
	)
	// Skip a member that has not started yet, from its row.
	run(t, ctx, "skip a member",
		chromedp.Click(chromedp.CSS(`li[data-member="prod-east-3"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="prod-east-3"][data-state="Skipped"]`)),
	)
	got, err := c.GetRun(context.Background(), ref, "to-1-32")
	if err != nil {
		t.Fatal(err)
	}
	if st := got.Properties.Status.Status.State; st != fleet.Running && st != fleet.Completed {
		t.Fatalf("after the dashboard started it again the run is %s", st)
	}
	if m := got.Properties.Status.Stages[1].Groups[1].Members[2]; m.Name != "prod-east-3" || m.Status.State != fleet.Skipped {
		t.Fatalf("after the dashboard skipped prod-east-3 the run has %s %s", m.Name, m.Status.State)
	}

	// Phone-sized, for the docs.
	if *screenshots != "" {
		run(t, ctx, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
		shoot(t, ctx, "run-phone.png", false)
		run(t, ctx, "desktop size", chromedp.EmulateViewport(1280, 800))
	}

	// A reader sees the run but may not stop it: the API's 403 shows.
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`#signout`)), chromedp.WaitVisible(chromedp.CSS(`#token`)))
	signIn(t, ctx, s.URL, readerTok)
	run(t, ctx, "open the run as a reader",
		chromedp.Navigate(s.URL+"/#/run?id="+url.QueryEscape(got.ID)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="canary-1"]`)),
		chromedp.Click(chromedp.CSS(`#stop`)),
		chromedp.WaitVisible(chromedp.CSS(`#flash[data-kind="error"]`)),
	)
	msg := text(t, ctx, `#flash`)
	if !strings.Contains(msg, "403 AuthorizationFailed") || !strings.Contains(msg, "caller rita has role reader") || !strings.Contains(msg, "needs role operator") {
		t.Fatalf("a reader stopping the run sees %q, want the API's 403 message", msg)
	}
	if got, err := c.GetRun(context.Background(), ref, "to-1-32"); err != nil {
		t.Fatal(err)
	} else if st := got.Properties.Status.Status.State; st == fleet.Stopping || st == fleet.Stopped {
		t.Fatalf("a reader's stop changed the run to %s", st)
	}
}

// TestDashboardInChromiumShowsAFailureLive starts a run from its page and sees its
// canary fail, with the cloud's message, without a reload.
func TestDashboardInChromiumShowsAFailureLive(t *testing.T) {
	s := startServer(t)
	_, ref := seedFleet(t, s, "0.5", "canary-1")
	ctx := browser(t, 1280, 800)
	signIn(t, ctx, s.URL, operatorTok)
	runID := "/subscriptions/" + ref.Subscription + "/resourceGroups/" + ref.ResourceGroup + "/providers/Microsoft.ContainerService/fleets/" + ref.Fleet + "/updateRuns/to-1-32"
	run(t, ctx, "open the run before it starts",
		chromedp.Navigate(s.URL+"/#/run?id="+url.QueryEscape(runID)),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-state="NotStarted"]`)),
		chromedp.Click(chromedp.CSS(`#start`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="canary-1"][data-state="Failed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-state="Failed"]`)),
	)
	member := text(t, ctx, `li[data-member="canary-1"]`)
	if !strings.Contains(member, "fail") {
		t.Errorf("the failed member shows %q, want the cloud's failure message", member)
	}
	if msg := text(t, ctx, `#run-error`); msg == "" {
		t.Error("the failed run shows no error")
	}
	shoot(t, ctx, "run-failed.png", true)
}

// putGatedRun creates a run through canary then production whose canary
// stage waits for an approval gate, and starts it.
func putGatedRun(t *testing.T, c *client.Client, ref fleet.FleetRef, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.PutRun(ctx, ref, name, fleet.UpdateRunProperties{
		Strategy: &fleet.RunStrategy{Stages: []fleet.Stage{
			{Name: "canary", Groups: []fleet.Group{{Name: "canary"}},
				BeforeGates: []fleet.GateConfiguration{{DisplayName: "change board", Type: fleet.GateApproval}}},
			{Name: "production", Groups: []fleet.Group{{Name: "prod-west"}, {Name: "prod-east"}}},
		}},
		ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.32"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartRun(ctx, ref, name); err != nil {
		t.Fatal(err)
	}
}

// gateOf returns the run's gate before its canary stage, as the API has
// the run.
func gateOf(t *testing.T, c *client.Client, ref fleet.FleetRef, run string) (*fleet.UpdateRun, fleet.GateStatus) {
	t.Helper()
	r, err := c.GetRun(context.Background(), ref, run)
	if err != nil {
		t.Fatal(err)
	}
	return r, r.Properties.Status.Stages[0].BeforeGates[0]
}

// TestDashboardInChromiumApprovesAGate opens a run waiting on an approval
// gate before its first stage, sees it Pending with no member started,
// approves it as an operator and sees the member start without a reload;
// a reader approving another run's gate sees the API's refusal.
func TestDashboardInChromiumApprovesAGate(t *testing.T) {
	s := startServer(t)
	c, ref := seedFleet(t, s, "0.5")
	putGatedRun(t, c, ref, "gated")
	putGatedRun(t, c, ref, "gated-too")
	ctx := browser(t, 1280, 800)
	signIn(t, ctx, s.URL, operatorTok)

	runURL := func(name string) string {
		return s.URL + "/#/run?id=" + url.QueryEscape(ref.ID()+"/updateRuns/"+name)
	}
	const gate = `.gate[data-gate="canary/beforeGates/0"]`
	run(t, ctx, "open the gated run",
		chromedp.Navigate(runURL("gated")),
		chromedp.WaitVisible(chromedp.CSS(gate+`[data-state="Pending"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#run[data-state="Pending"]`)),
		setMark,
	)
	if got := text(t, ctx, gate); !strings.Contains(got, "Before stage canary: change board") || !strings.Contains(got, "waiting for approval") || !strings.Contains(got, "Approve") {
		t.Errorf("the pending gate shows %q, want its name, place, that it waits for approval and an Approve button", got)
	}
	if got := text(t, ctx, `#waiting`); !strings.Contains(got, "change board before stage canary (waiting for approval)") {
		t.Errorf("the run's head says it waits on %q", got)
	}
	for _, m := range []string{"canary-1", "prod-west-1", "prod-east-1"} {
		if st, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`li[data-member="`+m+`"]`), "data-state")); err != nil || st.Value != "NotStarted" {
			t.Fatalf("before the gate is approved member %s shows %q (%v), want NotStarted", m, st.Value, err)
		}
	}
	if r, g := gateOf(t, c, ref, "gated"); g.Status.State != fleet.Pending || r.Properties.Status.Stages[0].Groups[0].Members[0].Status.State != fleet.NotStarted {
		t.Fatalf("the API has the gate %s and canary-1 %s; want Pending and NotStarted", g.Status.State, r.Properties.Status.Stages[0].Groups[0].Members[0].Status.State)
	}
	shoot(t, ctx, "run-gate.png", true)

	run(t, ctx, "approve the gate",
		chromedp.Click(chromedp.CSS(gate+` button.approve`)),
		chromedp.WaitVisible(chromedp.CSS(gate+`[data-state="Completed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-member="canary-1"]:not([data-state="NotStarted"])`)),
	)
	checkMark(t, ctx, "the run page")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button.approve').length`)); err != nil || n != 0 {
		t.Errorf("a completed gate still offers %d Approve buttons (%v)", n, err)
	}
	r, g := gateOf(t, c, ref, "gated")
	if g.Status.State != fleet.Completed {
		t.Fatalf("after the dashboard approved it the run has the gate %s", g.Status.State)
	}
	resource, err := c.GetGate(context.Background(), ref, g.GateID[strings.LastIndex(g.GateID, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	if resource.Properties.State != fleet.Completed {
		t.Fatalf("after the dashboard approved it the gate resource is %s", resource.Properties.State)
	}
	if st := r.Properties.Status.Stages[0].Groups[0].Members[0].Status.State; st == fleet.NotStarted {
		t.Fatalf("after the approval canary-1 is %s", st)
	}

	// The event log has the gate's transitions, naming its resource.
	var seen []string
	after := int64(0)
	evctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	for !slices.Contains(seen, "dev.caravan.updaterun.gate.completed") {
		evs, err := c.RunEvents(evctx, ref, "gated", after, 100, 5*time.Second)
		if err != nil {
			t.Fatalf("the run's events, having seen %q: %v", seen, err)
		}
		for _, e := range evs {
			after = e.Seq()
			if e.Data.Kind != "gate" {
				continue
			}
			if e.Subject != "stages/canary/beforeGates/0" || e.Data.GateID != g.GateID || e.Data.Name != "change board" {
				t.Fatalf("gate event %s names subject %q, gate %q, name %q", e.Type, e.Subject, e.Data.GateID, e.Data.Name)
			}
			seen = append(seen, e.Type)
		}
	}
	if want := []string{"dev.caravan.updaterun.gate.pending", "dev.caravan.updaterun.gate.completed"}; !slices.Equal(seen, want) {
		t.Fatalf("the gate's events are %q, want %q", seen, want)
	}

	// A scheduled-start gate says when it opens, and offers no Approve.
	_, err = c.PutRun(context.Background(), ref, "scheduled", fleet.UpdateRunProperties{
		Strategy: &fleet.RunStrategy{Stages: []fleet.Stage{{Name: "canary", Groups: []fleet.Group{{Name: "canary",
			BeforeGates: []fleet.GateConfiguration{{DisplayName: "night window", Type: fleet.GateScheduledStart,
				ScheduledStartConfiguration: &fleet.ScheduledStart{StartDay: time.Now().UTC().Add(-24 * time.Hour).Weekday().String(), StartTime: "00:00", UTCOffset: "+00:00"}}}}}}}},
		ManagedClusterUpdate: fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.32"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartRun(context.Background(), ref, "scheduled"); err != nil {
		t.Fatal(err)
	}
	const scheduled = `.gate[data-gate="canary/canary/beforeGates/0"]`
	run(t, ctx, "open the scheduled run",
		chromedp.Navigate(runURL("scheduled")),
		chromedp.WaitVisible(chromedp.CSS(scheduled+`[data-state="Pending"]`)),
	)
	if got := text(t, ctx, scheduled); !strings.Contains(got, "Before group canary: night window") || !strings.Contains(got, "opens at ") || strings.Contains(got, "Approve") {
		t.Errorf("the pending scheduled gate shows %q, want its name, place and when it opens, and no Approve button", got)
	}

	// A reader may not approve: the API's 403 shows, and the gate stays.
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`#signout`)), chromedp.WaitVisible(chromedp.CSS(`#token`)))
	signIn(t, ctx, s.URL, readerTok)
	run(t, ctx, "approve as a reader",
		chromedp.Navigate(runURL("gated-too")),
		chromedp.WaitVisible(chromedp.CSS(gate+`[data-state="Pending"]`)),
		chromedp.Click(chromedp.CSS(gate+` button.approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#flash[data-kind="error"]`)),
	)
	msg := text(t, ctx, `#flash`)
	if !strings.Contains(msg, "403 AuthorizationFailed") || !strings.Contains(msg, "caller rita has role reader") || !strings.Contains(msg, "needs role operator") {
		t.Fatalf("a reader approving a gate sees %q, want the API's 403 message", msg)
	}
	if _, g := gateOf(t, c, ref, "gated-too"); g.Status.State != fleet.Pending {
		t.Fatalf("a reader's approval left the gate %s", g.Status.State)
	}
}
