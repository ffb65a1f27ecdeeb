package aks

import (
	"crypto/tls"
	"net/http"
	"time"
)

// maxIdleConnsPerHost is how many idle connections the provider keeps to
// its endpoint. An engine drives hundreds of upgrades at once, each a
// sequence of requests: with fewer idle connections than requests in
// flight, plain-HTTP endpoints (a simulated cloud) would see a new
// connection for most requests. Over HTTP/2 (Azure) one connection
// carries many requests and the limit does not matter. Each plain-HTTP
// connection costs buffers and goroutines on both ends (about 40 KB with
// an in-process simulated cloud); 64 carry as many requests as two cores
// serve, so more only hold memory.
const maxIdleConnsPerHost = 64

// maxConnsPerHost caps the connections to the endpoint, idle or not: past
// it, requests wait for a connection to come free rather than open more,
// so a burst of upgrades cannot open a connection per request (and leave
// hundreds behind). It matches the idle connections kept, so that every
// connection that may be open may also be kept for reuse.
const maxConnsPerHost = maxIdleConnsPerHost

// newTransport is the provider's own HTTP transport, used when
// Config.Transport is nil: the settings of the SDK's default transport,
// with room for as many idle connections as upgrades in flight need and a
// cap on the connections open to one host.
// Owning it lets Close release the connections.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no limit across hosts; per host below
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.MaxConnsPerHost = maxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	// As the SDK does: an HTTP/2 connection idle for 10s is pinged, and
	// closed if the ping gets no answer within 5s.
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second}
	return t
}
