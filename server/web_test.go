package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDashboardIsServedAtTheRootAndItsStreamNeedsAToken checks the
// dashboard's mounting: the page needs no token (it holds no data), the
// live stream needs one in the Authorization header like the API.
func TestDashboardIsServedAtTheRootAndItsStreamNeedsAToken(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	get := func(path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("/", ""); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /: %d %s, want the page", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := get("/ui/app.js", ""); r.StatusCode != 200 {
		t.Errorf("GET /ui/app.js: %d", r.StatusCode)
	}
	run := url.QueryEscape("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/f/updateRuns/r")
	for _, path := range []string{"/ui/stream?run=" + run, "/ui/stream?run=" + run + "&access_token=secret&token=secret"} {
		if r := get(path, ""); r.StatusCode != 401 {
			t.Errorf("GET %s without an Authorization header: %d, want 401", path, r.StatusCode)
		}
	}
	if r := get("/ui/stream?run="+run, "secret"); r.StatusCode != 404 {
		t.Errorf("GET the stream of a run that does not exist: %d, want 404", r.StatusCode)
	}
	if r := get("/nothing", "secret"); r.StatusCode != 404 {
		t.Errorf("GET /nothing: %d, want 404", r.StatusCode)
	}
}

// TestShutdownEndsDashboardStreams checks an open live stream does not
// hold a shutting-down server for its whole grace period.
func TestShutdownEndsDashboardStreams(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	simRun(t, s, 1)
	run := url.QueryEscape("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/obs/updateRuns/r")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/ui/stream?run="+run, nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("event: run\n"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "event: run\n" {
		t.Fatalf("the stream began %q, %v", first, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Shutdown() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown waited for the dashboard's stream to end")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Logf("the stream ended with %v", err)
	}
}
