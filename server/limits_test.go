package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
)

// slowBody opens a connection and sends a PUT that announces a body of
// 100 bytes and sends none. With expectContinue it waits until the server
// asks for the body, that is until the request is in its handler.
func slowBody(t *testing.T, addr, token string, expectContinue bool) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "PUT " + fleetURLPath("slow") + apiVersionQuery + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	if expectContinue {
		req += "Expect: 100-continue\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if expectContinue {
		line, err := br.ReadString('\n')
		if err != nil || !strings.Contains(line, "100 Continue") {
			t.Fatalf("waiting for 100 Continue: %q %v", line, err)
		}
		if _, err := br.ReadString('\n'); err != nil { // the blank line after it
			t.Fatal(err)
		}
	}
	return conn, br
}

func fleetURLPath(name string) string {
	return "/subscriptions/" + accessSub + "/resourceGroups/" + accessRG + "/providers/Microsoft.ContainerService/fleets/" + name
}

// readClosed reads an answer and then expects the connection to be
// closed.
func readClosed(conn net.Conn, br *bufio.Reader) (int, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: "PUT"})
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := br.ReadByte(); err != io.EOF {
		return resp.StatusCode, fmt.Errorf("after %d the connection is still open (%v)", resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// TestSlowBodiesAreAnsweredAndClosed opens many connections that announce
// a body and never send it, anonymous and authenticated, and checks that
// every one is answered and closed: at once for those refused, within the
// read timeout for the others.
func TestSlowBodiesAreAnsweredAndClosed(t *testing.T) {
	s := startAccessServer(t, server.Config{ReadTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(s.URL, "http://")
	const n = 100
	type result struct {
		token  string
		status int
		err    error
	}
	results := make(chan result, n)
	start := time.Now()
	for i := range n {
		token := ""
		switch i % 3 {
		case 1:
			token = adminToken
		case 2:
			token = readerToken
		}
		conn, br := slowBody(t, addr, token, false)
		go func() {
			defer conn.Close()
			status, err := readClosed(conn, br)
			results <- result{token, status, err}
		}()
	}
	want := map[string]int{"": 401, readerToken: 403, adminToken: 408}
	for range n {
		r := <-results
		if r.err != nil || r.status != want[r.token] {
			t.Errorf("slow body with token %q: %d %v; want %d and the connection closed", r.token, r.status, r.err, want[r.token])
		}
	}
	t.Logf("%d slow-body connections answered and closed in %v (read timeout 300ms)", n, time.Since(start).Round(time.Millisecond))
}

// TestConnectionCapHolds fills the server's connections with requests
// whose bodies do not come and checks that a further caller is served
// only once one of them is gone.
func TestConnectionCapHolds(t *testing.T) {
	const maxConns = 3
	s := startAccessServer(t, server.Config{ReadTimeout: time.Minute, MaxConnections: maxConns})
	addr := strings.TrimPrefix(s.URL, "http://")
	held := make([]net.Conn, maxConns)
	for i := range held {
		// Waiting for 100 Continue shows the server took the connection.
		held[i], _ = slowBody(t, addr, adminToken, true)
		defer held[i].Close()
	}
	served := make(chan answer, 1)
	go func() { served <- send(t, addr, "GET", "/healthz", "", "") }()
	select {
	case a := <-served:
		t.Fatalf("a caller past the cap of %d connections was served (%d) while they were all held", maxConns, a.status)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case a := <-served:
		if a.status != 200 {
			t.Fatalf("the caller past the cap got %d once served", a.status)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a connection was freed, yet the caller past the cap was not served")
	}
}

// TestCallerInFlightCap holds requests of one caller in flight and checks
// that one more from it gets 429 with Retry-After, while other callers
// and, once a request finishes, the same caller are served.
func TestCallerInFlightCap(t *testing.T) {
	s := startAccessServer(t, server.Config{ReadTimeout: 10 * time.Second, MaxCallerRequests: 2})
	addr := strings.TrimPrefix(s.URL, "http://")
	held := make([]net.Conn, 2)
	readers := make([]*bufio.Reader, 2)
	for i := range held {
		held[i], readers[i] = slowBody(t, addr, adminToken, true)
		defer held[i].Close()
	}
	a := send(t, addr, "GET", fleetURLPath("slow")+apiVersionQuery, adminToken, "")
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, `"code":"TooManyRequests"`) {
		t.Fatalf("third request of a caller with two in flight: %d %q %s; want 429 with Retry-After", a.status, a.header.Get("Retry-After"), a.body)
	}
	if a := send(t, addr, "GET", fleetURLPath("slow")+apiVersionQuery, readerToken, ""); a.status != http.StatusNotFound {
		t.Fatalf("another caller: %d %s; want it served (404: no such fleet)", a.status, a.body)
	}
	// Finish one held request; the caller has room again.
	body := `{"location":"eastus"}`
	io.WriteString(held[0], body+strings.Repeat(" ", 100-len(body)))
	resp, err := http.ReadResponse(readers[0], &http.Request{Method: "PUT"})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("finishing a held request: %v %v", resp, err)
	}
	resp.Body.Close()
	if a := send(t, addr, "GET", fleetURLPath("slow")+apiVersionQuery, adminToken, ""); a.status != http.StatusOK {
		t.Fatalf("after one request finished: %d %s", a.status, a.body)
	}
}
