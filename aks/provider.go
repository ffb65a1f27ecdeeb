package aks

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/workers"
)

// Provider is the AKS cluster provider. It is safe for concurrent use.
// Create it with New or NewFromEnvironment and Close it when done.
type Provider struct {
	cfg          Config
	insecureHTTP bool
	// transport is the provider's own, when Config.Transport was nil.
	transport *http.Transport
	// inFlight holds a slot per request in flight (Config.MaxInFlight);
	// nil when there is no cap.
	inFlight chan struct{}
	// workers runs the provider's own goroutines (the maintenance list
	// read beside a cluster, an operation's tracking) on kept ones, up to
	// providerWorkers at once: each goes through the SDK's pipeline, deep
	// enough that a fresh goroutine's stack would grow several times.
	workers *workers.Pool

	versions *offerCache[[]string] // by region
	images   *offerCache[string]   // by region and image family

	// life bounds the tracking of operations; Close cancels it.
	life   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	subs     map[string]*clientSet // by subscription
	trackers map[string]*tracker   // by operation id, in flight or recently finished
	active   map[string]*tracker   // by cluster key, in flight
	// finished holds finished trackers in the order they finished, so
	// that forgetting the old ones looks only at those.
	finished []*tracker
}

var _ cluster.Provider = (*Provider)(nil)

// providerWorkers bounds the provider's kept goroutines (see workers).
const providerWorkers = 64

// New returns a provider for cfg's endpoint and credential.
func New(cfg Config) (*Provider, error) {
	insecure, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var own *http.Transport
	if cfg.Transport == nil {
		own = newTransport()
		cfg.Transport = &http.Client{Transport: own}
	}
	var inFlight chan struct{}
	if cfg.MaxInFlight > 0 {
		inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	life, cancel := context.WithCancel(context.Background())
	return &Provider{
		cfg:          cfg,
		inFlight:     inFlight,
		workers:      workers.New(time.Second, providerWorkers),
		insecureHTTP: insecure,
		transport:    own,
		versions:     newOfferCache[[]string](cfg.OfferTTL, cfg.Now),
		images:       newOfferCache[string](cfg.OfferTTL, cfg.Now),
		life:         life,
		cancel:       cancel,
		subs:         map[string]*clientSet{},
		trackers:     map[string]*tracker{},
		active:       map[string]*tracker{},
	}, nil
}

// Close stops tracking operations, waits for the trackers to stop and
// closes the idle connections of the provider's own transport. It does not
// abort the cloud's operations, and calls no done callback for operations
// still in flight: a later Upgrade with the same id (with Resume after a
// restart) picks them up. Close may be called more than once.
func (p *Provider) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	p.workers.Close()
	if p.transport != nil {
		p.transport.CloseIdleConnections()
	}
	return nil
}
