package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runview"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
	"github.com/caravan-dev/caravan/web"
)

const runID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1/updateRuns/r1"

func putRun(t *testing.T, s store.Store, state fleet.State) {
	t.Helper()
	run := fleet.UpdateRun{ID: runID, Name: "r1", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{
		Status: fleet.UpdateStatus{State: state},
		Stages: []fleet.StageStatus{{Name: "s", Status: fleet.UpdateStatus{State: state}, Groups: []fleet.GroupStatus{{Name: "g", Status: fleet.UpdateStatus{State: state}, Members: []fleet.MemberStatus{
			{Name: "m1", Status: fleet.UpdateStatus{State: state}},
		}}}}},
	}}}
	// The run lives in a stored fleet.
	fleetID := runID[:strings.Index(runID, "/updateRuns/")]
	if err := s.Put(context.Background(), store.Record{Kind: store.Fleets, ID: store.CanonicalID(fleetID), Parent: "/subscriptions/s/resourcegroups/rg", ETag: "f", Body: []byte(`{}`)}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// Every write has its own ETag, as the store's contract says.
	rec, err := store.NewRecord(store.Runs, runID, fleetID, "e-"+string(state), string(state), run)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// events reads server-sent events from a response body.
type events struct{ sc *bufio.Scanner }

func (e *events) next(t *testing.T) (name, data string) {
	t.Helper()
	for e.sc.Scan() {
		line := e.sc.Text()
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("the stream ended: %v", e.sc.Err())
	return "", ""
}

func TestStreamSendsTheRunThenEveryChange(t *testing.T) {
	s, f := memory.New(), feed.New()
	putRun(t, s, fleet.Running)
	srv := httptest.NewServer(web.NewStream(web.Config{Store: s, Feed: f, Clock: clock.NewFake(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+web.StreamPath+"?run="+url.QueryEscape(strings.ToUpper(runID[:1])+runID[1:]), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
	}
	ev := &events{bufio.NewScanner(resp.Body)}
	view := func() runview.View {
		name, data := ev.next(t)
		if name != "run" {
			t.Fatalf("event %q, want run", name)
		}
		var v runview.View
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := view(); v.State != fleet.Running || v.Stages[0].Groups[0].Members[0].State != fleet.Running {
		t.Fatalf("first view %+v, want the running run", v)
	}
	putRun(t, s, fleet.Completed)
	f.Publish(feed.Change{RunID: runID, Kind: feed.KindMember, Path: "s/g/m1", Old: fleet.Running, New: fleet.Completed})
	if v := view(); v.State != fleet.Completed || v.Stages[0].Groups[0].Members[0].State != fleet.Completed {
		t.Fatalf("view after the change %+v, want the completed run", v)
	}
	// Another run's change sends nothing; the run's deletion ends the
	// stream with a "gone" event.
	f.Publish(feed.Change{RunID: runID + "-other", Kind: feed.KindRun, New: fleet.Running})
	if err := s.Delete(context.Background(), store.Runs, store.CanonicalID(runID), store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	f.Publish(feed.Change{RunID: runID, Kind: feed.KindRun, Old: fleet.Completed, New: feed.Deleted})
	if name, data := ev.next(t); name != "gone" || !strings.Contains(data, "was deleted") {
		t.Fatalf("event %q %s, want gone", name, data)
	}
}

func TestStreamRefusesWhatIsNotARun(t *testing.T) {
	s, f := memory.New(), feed.New()
	h := web.NewStream(web.Config{Store: s, Feed: f})
	for _, c := range []struct {
		query  string
		status int
		code   string
	}{
		{"", 400, "MissingParameter"},
		{"run=", 400, "InvalidRunID"},
		{"fleet=/subscriptions/s", 400, "InvalidFleetID"},
		{"fleet=" + url.QueryEscape("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/nope"), 404, "ResourceNotFound"},
		{"run=/subscriptions/s/resourceGroups/rg", 400, "InvalidRunID"},
		{"run=" + url.QueryEscape(runID), 404, "ResourceNotFound"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, web.StreamPath+"?"+c.query, nil))
		var body struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.status || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%q: %d %s, want %d %s", c.query, rec.Code, rec.Body, c.status, c.code)
		}
	}
}

func TestAssetsServeThePageWithoutData(t *testing.T) {
	h := web.Assets()
	for path, want := range map[string]string{"/": "<title>caravan</title>", "/ui/app.js": "/ui/stream", "/ui/app.css": "@media"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d, body lacks %q", path, rec.Code, want)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/nothing.js", nil))
	if rec.Code != 404 {
		t.Errorf("/ui/nothing.js: %d, want 404", rec.Code)
	}
}

func TestFleetStreamTellsOfChangesToItsRuns(t *testing.T) {
	s, f := memory.New(), feed.New()
	fleetID := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1"
	rec, err := store.NewRecord(store.Fleets, fleetID, "", "e", "", fleet.Fleet{ID: fleetID, Name: "f1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.NewStream(web.Config{Store: s, Feed: f}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+web.StreamPath+"?fleet="+url.QueryEscape(fleetID), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ev := &events{bufio.NewScanner(resp.Body)}
	if name, _ := ev.next(t); name != "changed" {
		t.Fatalf("first event %q, want changed", name)
	}
	// Another fleet's change sends nothing; this fleet's does.
	f.Publish(feed.Change{RunID: strings.TrimSuffix(fleetID, "f1") + "f2/updateRuns/r", FleetID: strings.TrimSuffix(fleetID, "f1") + "f2", Kind: feed.KindRun, New: fleet.Running})
	f.Publish(feed.Change{RunID: runID, FleetID: fleetID, Kind: feed.KindRun, Old: fleet.NotStarted, New: fleet.Running})
	if name, data := ev.next(t); name != "changed" || !strings.Contains(data, `"run":"`+runID+`"`) {
		t.Fatalf("event %q %s, want changed for run %s", name, data, runID)
	}
}
