package aks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestTransportCapsConnectionsPerHost sends more requests at once than the
// cap allows, all held by the server until the cap's worth have arrived:
// the rest wait for a connection and reuse it, so the server sees no more
// connections than the cap.
func TestTransportCapsConnectionsPerHost(t *testing.T) {
	const requests = maxConnsPerHost + 64
	var conns, arrived atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == maxConnsPerHost {
			once.Do(func() { close(release) })
		}
		<-release
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := newTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(srv.URL)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := conns.Load(); n > maxConnsPerHost {
		t.Errorf("%d requests at once opened %d connections; the cap is %d", requests, n, maxConnsPerHost)
	}
	if n := arrived.Load(); n != requests {
		t.Errorf("the server answered %d requests, want %d", n, requests)
	}
}
