package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/engine"
)

// TestUnavailableCommandsSayWhenToTryAgain: a command the engine refused
// because its store does not answer is a 503 with Retry-After and an ARM
// error body.
func TestUnavailableCommandsSayWhenToTryAgain(t *testing.T) {
	a := New(Config{})
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{{5 * time.Second, "5"}, {1500 * time.Millisecond, "2"}, {0, "1"}} {
		err := fmt.Errorf("stopping: %w", &engine.UnavailableError{Message: "update run r1 cannot be changed now", Wait: tc.wait})
		w := httptest.NewRecorder()
		a.writeErr(w, httptest.NewRequest(http.MethodPost, "/x", nil), err)
		var body armError
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != tc.want ||
			json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error.Code != "ServiceUnavailable" || body.Error.Message == "" {
			t.Errorf("wait %s: got %d, Retry-After %q, body %s; want 503, %q and an ARM error", tc.wait, w.Code, w.Header().Get("Retry-After"), w.Body, tc.want)
		}
	}
}
