package faultproxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caravan-dev/caravan/simcloud/faultproxy"
)

// upstream counts the writes it applies.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var applied atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			body, _ := io.ReadAll(r.Body)
			if string(body) != "payload" {
				t.Errorf("upstream got body %q, want the client's", body)
			}
			applied.Add(1)
		}
		io.WriteString(w, "answer")
	}))
	t.Cleanup(srv.Close)
	return srv, &applied
}

func front(t *testing.T, up string, opts faultproxy.Options) (*faultproxy.Proxy, string) {
	p, err := faultproxy.New(up, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func post(url string) (*http.Response, error) {
	return http.Post(url+"/x", "text/plain", strings.NewReader("payload"))
}

func TestDropLosesTheAnswerAfterTheWriteIsApplied(t *testing.T) {
	up, applied := upstream(t)
	p, url := front(t, up.URL, faultproxy.Options{DropRate: 1})
	if resp, err := post(url); err == nil {
		resp.Body.Close()
		t.Fatalf("the client got an answer (%d) to a write whose answer was to be lost", resp.StatusCode)
	}
	if applied.Load() != 1 || p.Dropped() != 1 {
		t.Fatalf("upstream applied %d writes and the proxy dropped %d answers, want 1 and 1", applied.Load(), p.Dropped())
	}
	resp, err := http.Get(url + "/x")
	if err != nil {
		t.Fatalf("a read through the proxy failed: %v", err)
	}
	resp.Body.Close()
}

func TestDuplicateDeliversTheWriteTwice(t *testing.T) {
	up, applied := upstream(t)
	p, url := front(t, up.URL, faultproxy.Options{DuplicateRate: 1})
	resp, err := post(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "answer" || applied.Load() != 2 || p.Duplicated() != 1 {
		t.Fatalf("client got %q; upstream applied %d writes; proxy duplicated %d: want the answer, 2 and 1", body, applied.Load(), p.Duplicated())
	}
}

func TestDownReachesNothing(t *testing.T) {
	up, applied := upstream(t)
	p, url := front(t, up.URL, faultproxy.Options{})
	p.SetDown(true)
	if resp, err := http.Get(url + "/x"); err == nil {
		resp.Body.Close()
		t.Fatal("a read got through a proxy that is down")
	}
	p.SetDown(false)
	resp, err := post(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if applied.Load() != 1 {
		t.Fatalf("upstream applied %d writes, want 1", applied.Load())
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	fates := func() string {
		up, _ := upstream(t)
		_, url := front(t, up.URL, faultproxy.Options{Seed: 42, DropRate: 0.5})
		var b strings.Builder
		for range 20 {
			resp, err := post(url)
			if err != nil {
				b.WriteByte('x')
				continue
			}
			resp.Body.Close()
			b.WriteByte('.')
		}
		return b.String()
	}
	a, b := fates(), fates()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("two runs with seed 42 met faults %s and %s; want the same mix of both", a, b)
	}
}
