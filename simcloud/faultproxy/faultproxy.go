// Package faultproxy is an HTTP reverse proxy that damages the traffic of
// writes the way a network does: it loses the answer to a write the cloud
// has already applied, and it delivers a write to the cloud twice. Put it
// between a client (such as the AKS provider) and a cloud (such as a
// simulated one on loopback) to check that the client never repeats an
// operation it began.
//
// Reads (GET, HEAD, OPTIONS) pass through untouched. Whether a write is
// damaged depends only on the seed, its method and path, and how many
// writes with that method and path came before it: concurrent clients
// whose requests arrive in any order meet the same faults run after run.
package faultproxy

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Options says how the proxy damages writes.
type Options struct {
	// Seed makes the draws repeatable.
	Seed uint64
	// DropRate (0 to 1) is the fraction of writes whose answer is lost:
	// the write reaches the cloud and is applied, then the client's
	// connection is closed before any byte of the answer reaches it.
	DropRate float64
	// DuplicateRate (0 to 1) is the fraction of writes the cloud receives
	// twice, one right after the other; the client gets the answer to
	// the second copy. A write is dropped or duplicated, never both.
	DuplicateRate float64
}

// Proxy is the fault-injecting reverse proxy; it is an http.Handler.
type Proxy struct {
	upstream *url.URL
	opts     Options
	rp       *httputil.ReverseProxy
	client   *http.Client

	mu   sync.Mutex
	seen map[string]uint64 // writes so far by method and path

	down       atomic.Bool
	dropped    atomic.Int64
	duplicated atomic.Int64
	writes     atomic.Int64
}

// New returns a proxy in front of upstream, such as http://127.0.0.1:8443.
func New(upstream string, opts Options) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	return &Proxy{
		upstream: u,
		opts:     opts,
		rp:       rp,
		client:   &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		seen:     map[string]uint64{},
	}, nil
}

// SetDown makes the cloud unreachable through the proxy (every
// connection is closed before anything is forwarded) or reachable again.
func (p *Proxy) SetDown(down bool) { p.down.Store(down) }

// Dropped is how many writes had their answer lost.
func (p *Proxy) Dropped() int64 { return p.dropped.Load() }

// Duplicated is how many writes the cloud received twice.
func (p *Proxy) Duplicated() int64 { return p.duplicated.Load() }

// Writes is how many writes the proxy forwarded (duplicates counted once).
func (p *Proxy) Writes() int64 { return p.writes.Load() }

type fault int

const (
	none fault = iota
	drop
	duplicate
)

// draw decides the fate of a write from the seed, its method and path and
// the number of the same writes before it.
func (p *Proxy) draw(r *http.Request) fault {
	key := r.Method + " " + strings.ToLower(r.URL.Path)
	p.mu.Lock()
	n := p.seen[key]
	p.seen[key] = n + 1
	p.mu.Unlock()
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%d", p.opts.Seed, key, n)
	u := rand.New(rand.NewPCG(h.Sum64(), p.opts.Seed)).Float64()
	switch {
	case u < p.opts.DropRate:
		return drop
	case u < p.opts.DropRate+p.opts.DuplicateRate:
		return duplicate
	}
	return none
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		hangUp(w)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		p.rp.ServeHTTP(w, r)
		return
	}
	p.writes.Add(1)
	f := p.draw(r)
	if f == none {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hangUp(w)
		return
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	if f == drop {
		// The cloud has applied it; the client never hears so.
		resp.Body.Close()
		p.dropped.Add(1)
		hangUp(w)
		return
	}
	resp.Body.Close()
	second, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer second.Body.Close()
	p.duplicated.Add(1)
	for k, vs := range second.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(second.StatusCode)
	io.Copy(w, second.Body)
}

// forward sends a copy of r to the upstream and reads the whole answer.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.upstream
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// hangUp closes the client's connection without answering; the client
// sees its connection reset or an unexpected EOF.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // reset, not an orderly close
	}
	conn.Close()
}
