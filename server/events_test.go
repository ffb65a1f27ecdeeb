package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
)

type listedEvent struct {
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	Sequence    string `json:"sequence"`
	Source      string `json:"source"`
	Type        string `json:"type"`
	Subject     string `json:"subject"`
	Data        struct {
		RunName       string `json:"runName"`
		Kind          string `json:"kind"`
		Path          string `json:"path"`
		PreviousState string `json:"previousState"`
		State         string `json:"state"`
		Caller        struct{ Name, Role string }
		Reconciled    bool `json:"reconciled"`
	} `json:"data"`
}

// runEvents lists every event of a run through the API, page by page.
func runEvents(t *testing.T, s *server.Server, fleetName, run, query string) []listedEvent {
	t.Helper()
	link := s.URL + "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.ContainerService/fleets/" + fleetName + "/updateRuns/" + run + "/events?api-version=2025-04-01-preview" + query
	var out []listedEvent
	for link != "" {
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", link, resp.StatusCode, body)
		}
		var page struct {
			Value    []listedEvent `json:"value"`
			NextLink string        `json:"nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Value...)
		link = page.NextLink
	}
	return out
}

func TestEventsOfARunAreListedInOrderAsCloudEvents(t *testing.T) {
	s := startServer(t, t.TempDir())
	defer s.Shutdown()
	c, ref := simRun(t, s, 2)
	if _, err := c.StartRun(context.Background(), ref, "r"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, ref, "r", fleet.Completed)
	var evs []listedEvent
	for {
		// Paged two at a time, to follow nextLink.
		evs = runEvents(t, s, "obs", "r", "&$top=2")
		if len(evs) > 0 && evs[len(evs)-1].Type == "dev.caravan.updaterun.completed" {
			break
		}
	}
	var got []string
	for i, e := range evs {
		got = append(got, e.Type+" "+e.Subject+" by "+e.Data.Caller.Name)
		if e.SpecVersion != "1.0" || e.ID == "" || !strings.HasSuffix(e.Source, "/fleets/obs/updateRuns/r") || e.Data.RunName != "r" {
			t.Errorf("event %d: %+v", i, e)
		}
		if i > 0 && seqOf(t, e) <= seqOf(t, evs[i-1]) {
			t.Errorf("event %d has sequence %s after %s", i, e.Sequence, evs[i-1].Sequence)
		}
	}
	want := []string{
		"dev.caravan.updaterun.created  by admin",
		"dev.caravan.updaterun.running  by admin",
		"dev.caravan.updaterun.stage.running stages/s by admin",
		"dev.caravan.updaterun.group.running stages/s/groups/g by admin",
	}
	if len(got) != 12 || fmt.Sprint(got[:4]) != fmt.Sprint(want) {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	tail := []string{
		"dev.caravan.updaterun.group.completed stages/s/groups/g by engine",
		"dev.caravan.updaterun.wait.completed stages/s/afterStageWait by engine",
		"dev.caravan.updaterun.stage.completed stages/s by engine",
		"dev.caravan.updaterun.completed  by engine",
	}
	if fmt.Sprint(got[8:]) != fmt.Sprint(tail) {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	for _, e := range evs[4:8] {
		if e.Data.Kind != "member" {
			t.Fatalf("events 5 to 8 should be the members':\n%s", strings.Join(got, "\n"))
		}
	}

	// Following from the last event seen waits for the next; there is
	// none, so it answers empty when the wait ends.
	if more := runEvents(t, s, "obs", "r", "&$skipToken="+evs[len(evs)-1].Sequence+"&waitSeconds=1"); len(more) != 0 {
		t.Fatalf("events after the last: %+v", more)
	}
	for _, tc := range []struct{ query, want string }{
		{"&$skipToken=x", "$skipToken"},
		{"&waitSeconds=61", "waitSeconds"},
		{"&$top=0", "$top"},
	} {
		req, _ := http.NewRequest("GET", s.URL+"/subscriptions/"+sub+"/resourceGroups/"+rg+"/providers/Microsoft.ContainerService/fleets/obs/updateRuns/r/events?api-version=2025-04-01-preview"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s", tc.query, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/subscriptions/"+sub+"/resourceGroups/"+rg+"/providers/Microsoft.ContainerService/fleets/obs/updateRuns/nope/events?api-version=2025-04-01-preview", nil)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("events of a run that never was: %d, want 404", resp.StatusCode)
	}
}

func seqOf(t *testing.T, e listedEvent) int64 {
	t.Helper()
	n, err := strconv.ParseInt(e.Sequence, 10, 64)
	if err != nil {
		t.Fatalf("event %s has sequence %q", e.ID, e.Sequence)
	}
	return n
}
