package aks_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/simcloud"
)

// staleAfterWrite answers the first GET of a managed cluster after a
// managed cluster PUT with what the cluster showed before the PUT, its
// provisioningState set to state: a read that does not show the write
// yet, as a cloud whose reads lag its writes would serve. The cloud
// itself does not see that GET.
type staleAfterWrite struct {
	state string

	mu     sync.Mutex
	before []byte // the last cluster GET's body
	armed  bool
	served int
}

func (s *staleAfterWrite) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isClusterPath(strings.ToLower(r.URL.Path)) {
			next.ServeHTTP(w, r)
			return
		}
		switch r.Method {
		case http.MethodPut:
			s.mu.Lock()
			s.armed = true
			s.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		case http.MethodGet:
		default:
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		if s.armed && s.before != nil {
			s.armed = false
			s.served++
			body := s.before
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		s.mu.Unlock()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if rec.Code != http.StatusOK {
			return
		}
		var mc map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &mc) != nil {
			return
		}
		props, _ := mc["properties"].(map[string]any)
		if props == nil {
			return
		}
		props["provisioningState"] = s.state
		stale, _ := json.Marshal(mc)
		s.mu.Lock()
		s.before = stale
		s.mu.Unlock()
	})
}

// TestStaleReadAfterTheWriteIsNotTakenForTheEnd: an operation is followed
// by reading the cluster, and a read that shows it idle is its end. A read
// that shows the cluster idle without the step's effect (Succeeded at the
// old version, or a Failed state left from before) is not: the operation's
// status URL decides, read once, and following goes on to the real end.
func TestStaleReadAfterTheWriteIsNotTakenForTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name, state, seconds string
	}{
		// The status says InProgress: following goes on.
		{"Succeeded/Running", "Succeeded", "0.2"},
		// The status says Succeeded: the cluster is read once more.
		{"Succeeded/Ended", "Succeeded", "0"},
		{"Failed/Running", "Failed", "0.2"},
		{"Failed/Ended", "Failed", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stale := &staleAfterWrite{state: tc.state}
			sim := newSim(t, simcloud.Options{}, stale.wrap)
			p := sim.provider(t, nil)
			id := sim.twoPoolCluster(t, "stale", simRegion, tc.seconds, nil)
			var end *cluster.Cluster
			r, err := upgrade(t, p, cluster.Operation{ID: "stale-1", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.11",
				End: func(c *cluster.Cluster) { end = c }})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.wait(t); err != nil {
				t.Fatalf("the upgrade ended with %v after a stale %s read; want success", err, tc.state)
			}
			if stale.served != 1 {
				t.Fatalf("the stale read was served %d times, want once", stale.served)
			}
			if end == nil || end.KubernetesVersion != "1.30.11" || end.Busy {
				t.Errorf("the end observation is %+v, want the cluster idle at 1.30.11", end)
			}
			if n := sim.polls.Load(); n != 1 {
				t.Errorf("read the operation status %d times, want once, for the stale read", n)
			}
			if n := sim.upgrades(id); n != 1 {
				t.Errorf("the cloud upgraded %d things, want the control plane once", n)
			}
			c, err := p.Describe(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if c.KubernetesVersion != "1.30.11" || c.ProvisioningState != simcloud.StateSucceeded {
				t.Errorf("the cloud shows the cluster %s at %s, want Succeeded at 1.30.11", c.ProvisioningState, c.KubernetesVersion)
			}
		})
	}
}

// endedAs makes every operation end as state: reads of the managed cluster
// after a PUT show the cluster in that state, and the operation status
// says so with status (or answers 404 when status is empty: the status
// URL is gone).
type endedAs struct {
	state, status string
	err           map[string]string // the status's error
}

func (e *endedAs) wrap(next http.Handler) http.Handler {
	var mu sync.Mutex
	written := false
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.ToLower(r.URL.Path)
		mu.Lock()
		after := written
		if r.Method == http.MethodPut && isClusterPath(path) {
			written = true
		}
		mu.Unlock()
		switch {
		case after && r.Method == http.MethodGet && strings.Contains(path, "/operations/"):
			if e.status == "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"The operation was not found."}}`))
				return
			}
			body, _ := json.Marshal(map[string]any{"status": e.status, "error": e.err})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		case after && r.Method == http.MethodGet && isClusterPath(path):
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var mc map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &mc) != nil {
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
				return
			}
			if props, _ := mc["properties"].(map[string]any); props != nil {
				props["provisioningState"] = e.state
			}
			body, _ := json.Marshal(mc)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// TestOperationEndingFailedOrCanceledReportsTheCloudsCode: a read of the
// cluster that shows an operation ended Failed or Canceled ends the
// upgrade Failed, with the code and message of the operation's status,
// read once; when the status URL is gone, with the state the cluster
// shows.
func TestOperationEndingFailedOrCanceledReportsTheCloudsCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		how  endedAs
		code string
	}{
		{"Canceled", endedAs{state: "Canceled", status: "Canceled", err: map[string]string{"code": "OperationCanceled", "message": "The operation was canceled by a later request."}}, "OperationCanceled"},
		{"Failed", endedAs{state: "Failed", status: "Failed", err: map[string]string{"code": "UpgradeFailed", "message": "Drain of node aks-sys-0 timed out."}}, "UpgradeFailed"},
		{"CanceledStatusGone", endedAs{state: "Canceled"}, "ProvisioningStateCanceled"},
		{"FailedStatusGone", endedAs{state: "Failed"}, "ProvisioningStateFailed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, simcloud.Options{}, tc.how.wrap)
			p := sim.provider(t, nil)
			id := sim.twoPoolCluster(t, "ended", simRegion, "0", nil)
			ended := false
			r, err := upgrade(t, p, cluster.Operation{ID: "ended-1", ClusterID: id, Type: cluster.ControlPlaneOnly, KubernetesVersion: "1.30.11",
				End: func(*cluster.Cluster) { ended = true }})
			if err != nil {
				t.Fatal(err)
			}
			err = r.wait(t)
			if cluster.ReasonOf(err) != cluster.Failed || cluster.CodeOf(err) != tc.code {
				t.Fatalf("the upgrade ended with %v (%s %q), want Failed %q", err, cluster.ReasonOf(err), cluster.CodeOf(err), tc.code)
			}
			if msg := tc.how.err["message"]; msg != "" && !strings.Contains(err.Error(), msg) {
				t.Errorf("the failure %q does not carry the cloud's message %q", err, msg)
			}
			if n := sim.polls.Load(); n != 1 {
				t.Errorf("read the operation status %d times, want once", n)
			}
			if ended {
				t.Error("End was called for an upgrade that failed")
			}
		})
	}
}
