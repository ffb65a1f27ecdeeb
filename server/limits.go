package server

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
)

// Defaults of the server's limits.
const (
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultMaxConnections caps the connections served at once.
	DefaultMaxConnections = 512
	// DefaultMaxCallerRequests caps the requests one caller has in
	// flight at once.
	DefaultMaxCallerRequests = 64
)

// limitListener accepts at most max connections at once: past that,
// Accept waits until one closes, so new callers queue in the kernel's
// backlog instead of taking memory and file descriptors.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func newLimitListener(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, max)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// callerLimit caps the requests each caller (by the name its token
// carries) has in flight.
type callerLimit struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func (l *callerLimit) acquire(caller string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[caller] >= l.max {
		return false
	}
	l.n[caller]++
	return true
}

func (l *callerLimit) release(caller string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[caller]--; l.n[caller] <= 0 {
		delete(l.n, caller)
	}
}

// limit serves an authorized request within its caller's share of
// requests in flight; past it the caller gets 429 with Retry-After. The
// server's own engine, calling its hosted simulated cloud, is not
// limited: its calls are bounded by the runs it drives.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	p, _ := auth.PrincipalFrom(r.Context())
	if s.callers == nil || p.Internal {
		serve(w, r)
		return
	}
	if !s.callers.acquire(p.Name) {
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Retry-After", "1")
		api.WriteError(w, http.StatusTooManyRequests, "TooManyRequests",
			"caller "+p.Name+" already has "+strconv.Itoa(s.callers.max)+" requests in flight, the most this server takes from one caller (--max-caller-requests); retry after a second")
		return
	}
	defer s.callers.release(p.Name)
	serve(w, r)
}
