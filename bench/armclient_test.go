package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestThrottledRequestIsSentAgain: a 429 is answered by waiting its
// Retry-After and sending the request again, as ARM clients do; a
// request throttled every time ends in an error naming the 429.
func TestThrottledRequestIsSentAgain(t *testing.T) {
	var calls, refuse atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if refuse.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"name":"r1"}`))
	}))
	defer srv.Close()
	c := newARMClient(srv.URL, "token")
	defer c.close()

	refuse.Store(2)
	var out struct{ Name string }
	if _, err := c.do(context.Background(), http.MethodPost, "/x", map[string]int{"a": 1}, &out); err != nil || out.Name != "r1" {
		t.Fatalf("do = %v, %+v; want the answer after two 429s", err, out)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("sent %d times, want 3", got)
	}

	calls.Store(0)
	refuse.Store(1 << 20)
	if _, err := c.do(context.Background(), http.MethodGet, "/x", nil, nil); err == nil {
		t.Fatal("a request throttled every time succeeded")
	}
	if got := calls.Load(); got != throttledTries {
		t.Fatalf("sent %d times, want %d", got, throttledTries)
	}
}
