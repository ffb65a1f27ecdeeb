package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// sharedStore is a memory store that serves GetShared, and can be told
// to answer a run's read with other bytes, checked or not.
type sharedStore struct {
	*memory.Store
	mu      sync.Mutex
	body    []byte
	checked bool
}

func (s *sharedStore) GetShared(ctx context.Context, kind store.Kind, id string) (store.Record, bool, error) {
	rec, err := s.Get(ctx, kind, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.body == nil {
		return rec, false, err
	}
	rec.Body = s.body
	return rec, s.checked, nil
}

func (s *sharedStore) serve(body string, checked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.checked = []byte(body), checked
}

// GET of a run serves what the store reads through GetShared: bytes the
// store has not checked are checked (a 503 StoredResourceCorrupt when
// they are not JSON), bytes it has are not checked again, and answers
// for an older api-version are shaped once per version of the run, never
// stale.
func TestGetRunServesTheStoresSharedBody(t *testing.T) {
	st := &sharedStore{Store: memory.New()}
	ts := newTestServerOn(t, st)
	ts.fleetWithMembers(map[string]string{"a": "canary", "b": "prod"})
	f := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/fleet-1"
	const newest = "?api-version=2026-11-02-preview"
	strategy := `{"properties":{"strategy":{"stages":[{"name":"one","maxConcurrency":"50%","groups":[{"name":"canary"},{"name":"prod"}]}]}}}`
	if status, body, _ := ts.send("PUT", f+"/updateStrategies/s"+newest, strategy); status != 201 {
		t.Fatalf("PUT strategy: %d %v", status, body)
	}
	run := func(version string) string {
		return `{"properties":{"updateStrategyId":"` + f + `/updateStrategies/s","managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"` + version + `"}}}}`
	}
	if status, body, _ := ts.send("PUT", f+"/updateRuns/r"+newest, run("1.31")); status != 201 {
		t.Fatalf("PUT run: %d %v", status, body)
	}
	const old = "?api-version=2025-08-01-preview"
	for i := range 2 {
		got := ts.get(f + "/updateRuns/r" + old)
		if strings.Contains(got, "maxConcurrency") || !strings.Contains(got, `"kubernetesVersion":"1.31"`) {
			t.Fatalf("GET %d under %s: %s; want the run without maxConcurrency", i, old, got)
		}
	}
	if got := ts.get(f + "/updateRuns/r" + newest); !strings.Contains(got, "maxConcurrency") {
		t.Fatalf("GET under the newest version lacks maxConcurrency: %s", got)
	}
	if got := ts.get(f + "/updateRuns" + old); strings.Contains(got, "maxConcurrency") || !strings.HasPrefix(got, `{"value":[{`) || !strings.Contains(got, `"kubernetesVersion":"1.31"`) {
		t.Fatalf("list under %s: %s; want the run without maxConcurrency", old, got)
	}
	// A changed run is shaped again.
	if status, body, _ := ts.send("PUT", f+"/updateRuns/r"+newest, run("1.31.2")); status != 200 {
		t.Fatalf("PUT run again: %d %v", status, body)
	}
	if got := ts.get(f + "/updateRuns/r" + old); !strings.Contains(got, `"kubernetesVersion":"1.31.2"`) {
		t.Fatalf("GET after the run changed serves the run as it was: %s", got)
	}

	st.serve("{\"properties\":\xff not json", false)
	if status, code, msg, _ := ts.do("GET", f+"/updateRuns/r"+newest, ""); status != 503 || code != "StoredResourceCorrupt" || !strings.Contains(msg, "updateruns/r") {
		t.Fatalf("GET of a run whose stored bytes are not JSON: %d %s %q; want 503 StoredResourceCorrupt naming it", status, code, msg)
	}
	st.serve(`{"name":"as the store checked it"}`, true)
	if got := ts.get(f + "/updateRuns/r" + newest); got != `{"name":"as the store checked it"}` {
		t.Fatalf("GET of a run the store checked: %s; want the store's bytes as they are", got)
	}
	// A large run's answer says its length, so that a client reads it
	// into one buffer, and is not chunked.
	st.serve(`{"name":"`+strings.Repeat("x", 256<<10)+`"}`, true)
	resp, err := http.Get(ts.url + f + "/updateRuns/r" + newest)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ContentLength != int64(len(data)) || len(data) < 256<<10 || len(resp.TransferEncoding) != 0 {
		t.Errorf("GET of a large run: Content-Length %d, transfer encoding %v, body of %d bytes; want the body's length", resp.ContentLength, resp.TransferEncoding, len(data))
	}
}
