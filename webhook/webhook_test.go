package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/sqlite"
	"github.com/caravan-dev/caravan/webhook"
)

const secret = "0123456789abcdef-secret"

func TestVerifyRefusesTamperingAndBadHeaders(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"x"}`)
	sig := webhook.Sign(secret, now, body)
	if err := webhook.Verify(secret, sig, body, now, 0); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, tc := range map[string]struct {
		header string
		body   string
	}{
		"changed body": {sig, `{"id":"y"}`},
		"no v1":        {"t=1", string(body)},
		"no timestamp": {"v1=abcd", string(body)},
		"empty":        {"", string(body)},
		"garbled":      {"nonsense", string(body)},
		"other time":   {strings.Replace(sig, "t=", "t=1", 1), string(body)},
	} {
		if err := webhook.Verify(secret, tc.header, []byte(tc.body), now, 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSubscriptionsChooseByFleetAndType(t *testing.T) {
	ev := &events.CloudEvent{Type: "dev.caravan.updaterun.member.failed", Data: events.Data{FleetName: "prod", FleetID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/prod"}}
	for _, tc := range []struct {
		sub  webhook.Subscription
		want bool
	}{
		{webhook.Subscription{}, true},
		{webhook.Subscription{Fleets: []string{"PROD"}}, true},
		{webhook.Subscription{Fleets: []string{ev.Data.FleetID + "/"}}, true},
		{webhook.Subscription{Fleets: []string{"staging"}}, false},
		{webhook.Subscription{Types: []string{"dev.caravan.updaterun.member.*"}}, true},
		{webhook.Subscription{Types: []string{"dev.caravan.updaterun.member.failed"}}, true},
		{webhook.Subscription{Types: []string{"dev.caravan.updaterun.failed"}}, false},
		{webhook.Subscription{Fleets: []string{"prod"}, Types: []string{"dev.caravan.updaterun.stage.*"}}, false},
	} {
		if got := tc.sub.Wants(ev); got != tc.want {
			t.Errorf("%+v wants %s: %v, want %v", tc.sub, ev.Type, got, tc.want)
		}
	}
}

func TestLoadFileChecksWhatItReads(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := write("ops.secret", "  "+secret+"\n")
	subs, err := webhook.LoadFile(write("ok.yaml", "webhooks:\n- name: ops\n  url: https://hooks.example.com/caravan\n  secretFile: "+secretFile+"\n  fleets: [prod]\n  types: [dev.caravan.updaterun.failed]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Secret != secret || subs[0].Fleets[0] != "prod" {
		t.Fatalf("read %+v", subs)
	}
	for text, want := range map[string]string{
		"webhooks:\n- name: a\n  url: ftp://x\n  secret: " + secret:                                                        "http:// or https://",
		"webhooks:\n- name: a\n  url: http://x\n":                                                                          "set secret or secretFile",
		"webhooks:\n- name: a\n  url: http://x\n  secret: short":                                                           "at least 16",
		"webhooks:\n- name: a\n  url: http://x\n  secret: " + secret + "\n  types: [member.failed]":                        "begin with dev.caravan.updaterun",
		"webhooks:\n- name: a\n  url: http://x\n  secret: " + secret + "\n- name: a\n  url: http://y\n  secret: " + secret: "used twice",
		"webhooks:\n- name: a\n  url: http://x\n  secret: " + secret + "\n  colour: red":                                   "unknown field",
		"webhooks:\n- name: 'bad name'\n  url: http://x\n  secret: " + secret:                                              "letters, digits",
	} {
		_, err := webhook.LoadFile(write("bad.yaml", text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", text, err, want)
		}
	}
}

// A delivery that fails is tried again with backoff until it succeeds,
// and its status shows every step.
func TestDeliveriesAreRetriedUntilTheyGetThrough(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var tries []time.Time
	got := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
			t.Errorf("delivery not signed right: %v", err)
		}
		mu.Lock()
		tries = append(tries, time.Now())
		n := len(tries)
		mu.Unlock()
		if n < 3 {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		got <- string(body)
	}))
	defer receiver.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := webhook.NewDispatcher(webhook.Config{
		Log: s, Subscriptions: []webhook.Subscription{{Name: "ops", URL: receiver.URL, Secret: secret}},
		FirstRetry: 20 * time.Millisecond, MaxRetry: time.Second,
	})
	go d.Run(ctx)
	if err := s.AppendEvents(ctx, &store.EventBatch{
		Events:     []store.Event{{ID: "e1", Run: "/r", Fleet: "/f", Type: "dev.caravan.updaterun.completed", Time: time.Now(), Body: []byte(`{"id":"e1"}`)}},
		Deliveries: []store.Delivery{{EventID: "e1", Subscription: "ops", NextAttempt: time.Now()}},
	}); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	select {
	case body := <-got:
		if !strings.HasPrefix(body, `{"sequence":"`) || !strings.HasSuffix(body, `"id":"e1"}`) {
			t.Fatalf("delivered %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event never got through")
	}
	mu.Lock()
	if gap1, gap2 := tries[1].Sub(tries[0]), tries[2].Sub(tries[1]); gap1 < 20*time.Millisecond || gap2 < 40*time.Millisecond {
		t.Errorf("retries came after %v and %v; want at least 20ms, then 40ms", gap1, gap2)
	}
	mu.Unlock()
	var list []store.Delivery
	for deadline := time.Now().Add(5 * time.Second); ; {
		list, _ = s.ListDeliveries(ctx, store.DeliveryFilter{})
		if len(list) == 1 && list[0].State == store.DeliveryDelivered || time.Now().After(deadline) {
			break
		}
		<-time.After(10 * time.Millisecond)
	}
	if len(list) != 1 || list[0].State != store.DeliveryDelivered || list[0].Attempts != 3 || list[0].LastStatus != 200 {
		t.Fatalf("delivery status %+v", list)
	}

	// The status endpoint shows it.
	rec := httptest.NewRecorder()
	webhook.DeliveriesHandler(s).ServeHTTP(rec, httptest.NewRequest("GET", webhook.DeliveriesPath+"?subscription=ops&state=Delivered", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"state":"Delivered"`) || !strings.Contains(rec.Body.String(), `"attempts":3`) {
		t.Fatalf("status endpoint: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	webhook.DeliveriesHandler(s).ServeHTTP(rec, httptest.NewRequest("GET", webhook.DeliveriesPath+"?state=Lost", nil))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Pending, Delivered or Failed") {
		t.Fatalf("a bad state: %d %s", rec.Code, rec.Body)
	}
}
