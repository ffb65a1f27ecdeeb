package simcloud

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
)

// TestInstantUpgradeIsStillAnOperation: an upgrade that takes no time is
// answered as ARM answers every upgrade, with an operation to poll and the
// cluster shown under way, and ends at the first poll.
func TestInstantUpgradeIsStillAnOperation(t *testing.T) {
	h := newHarness(t, Options{})
	seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", tagsInstant())
	mc := h.get("rg1", "alpha")
	mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
	var first *http.Response
	p, err := h.clusters.BeginCreateOrUpdate(runtime.WithCaptureResponse(ctx(t), &first), "rg1", "alpha", mc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("the PUT's answer (%d) names no operation to poll", first.StatusCode)
	}
	if p.Done() {
		t.Fatalf("the PUT's answer (%d) ended the upgrade; it should show it under way", first.StatusCode)
	}
	polls := h.polls.Load()
	if !pollOnce(t, p) {
		t.Fatal("an instant upgrade was not done at its first poll")
	}
	if got := h.polls.Load() - polls; got != 1 {
		t.Errorf("%d polls, want 1", got)
	}
	res, err := p.Result(ctx(t))
	if err != nil || *res.Properties.CurrentKubernetesVersion != "1.31.2" {
		t.Fatalf("after the upgrade: %v, %v", err, res.Properties.CurrentKubernetesVersion)
	}
}

// TestRetryAfterInWholeSeconds: with RetryAfterSeconds the cloud says when
// to poll as ARM does, in Retry-After only, rounded up to whole seconds.
func TestRetryAfterInWholeSeconds(t *testing.T) {
	for _, whole := range []bool{false, true} {
		clock := newFakeClock()
		h := newHarness(t, Options{Now: clock.Now, RetryAfterSeconds: whole})
		seedTwoPools(t, h.cloud, "alpha", "eastus", "1.30.5", "1.30.5", map[string]string{TagUpgradeSeconds: "1.2"})
		mc := h.get("rg1", "alpha")
		mc.Properties.KubernetesVersion = to.Ptr("1.31.2")
		var first *http.Response
		if _, err := h.clusters.BeginCreateOrUpdate(runtime.WithCaptureResponse(ctx(t), &first), "rg1", "alpha", mc, nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(200 * time.Millisecond)
		resp, _ := h.raw(http.MethodGet, strings.TrimPrefix(first.Header.Get("Azure-AsyncOperation"), h.srv.URL), "")
		wantFirst, wantPoll := "1200", "1000"
		if whole {
			wantFirst, wantPoll = "", ""
		}
		if got := first.Header.Get("Retry-After"); got != "2" {
			t.Errorf("whole=%v: the PUT says Retry-After %q, want 2 (1.2 s rounded up)", whole, got)
		}
		if got := first.Header.Get("retry-after-ms"); got != wantFirst {
			t.Errorf("whole=%v: the PUT says retry-after-ms %q, want %q", whole, got, wantFirst)
		}
		if got := resp.Header.Get("Retry-After"); got != "1" {
			t.Errorf("whole=%v: the poll says Retry-After %q, want 1 (1 s left)", whole, got)
		}
		if got := resp.Header.Get("retry-after-ms"); got != wantPoll {
			t.Errorf("whole=%v: the poll says retry-after-ms %q, want %q", whole, got, wantPoll)
		}
	}
}
