package simcloud

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSubscription is the subscription seeded clusters live in when a
// seed names none.
const DefaultSubscription = "00000000-0000-0000-0000-000000000000"

// DefaultPageSize is how many managed clusters one list page holds.
const DefaultPageSize = 100

// Options configure a Cloud. The zero value is a realistic cloud with the
// default catalog, no faults and no authentication.
type Options struct {
	// Speed divides every realistic duration: 1 (or 0) is realistic, 60
	// makes an hour-long rehearsal take a minute. Clusters tagged
	// sim-upgrade-seconds ignore it.
	Speed float64
	// FaultRate (0 to 1) is the fraction of ARM requests answered with a
	// transient 429, 500 or 503 before they are looked at.
	FaultRate float64
	// Seed makes jitter, faults and operation ids repeatable.
	Seed int64
	// Catalog replaces DefaultCatalog. Entries that do not parse are
	// ignored; check them with Catalog.Validate.
	Catalog *Catalog
	// Now is the clock; nil means time.Now. Operations finish when Now
	// passes their end, whoever asks.
	Now func() time.Time
	// Authorize, when set, must accept a request for it to be served;
	// refused requests get 401.
	Authorize func(*http.Request) bool
	// PageSize is how many managed clusters a list page holds
	// (DefaultPageSize when 0).
	PageSize int
	// RetryAfterSeconds gives the time to wait before polling an
	// operation (or retrying a refused request) only in Retry-After, in
	// whole seconds rounded up, as ARM does. Otherwise retry-after-ms
	// carries the exact time as well.
	RetryAfterSeconds bool
}

// Cloud is a simulated Azure cloud serving Microsoft.ContainerService
// managed clusters. It is safe for concurrent use.
type Cloud struct {
	opts  Options
	now   func() time.Time
	speed float64

	catalog   atomic.Pointer[catalogIndex]
	publishMu sync.Mutex

	clusters store
	ops      sync.Map // operation id (lower case) → *operation
	log      opLog
	seq      atomic.Uint64
	faults   *faultInjector
	closed   atomic.Bool
}

// New returns a Cloud with no clusters.
func New(opts Options) *Cloud {
	cl := &Cloud{opts: opts, now: opts.Now, speed: opts.Speed}
	if cl.now == nil {
		cl.now = time.Now
	}
	if cl.speed <= 0 {
		cl.speed = 1
	}
	if cl.opts.PageSize <= 0 {
		cl.opts.PageSize = DefaultPageSize
	}
	cat := DefaultCatalog()
	if opts.Catalog != nil {
		cat = opts.Catalog.clone()
	}
	cl.catalog.Store(newCatalogIndex(cat))
	if opts.FaultRate > 0 {
		cl.faults = newFaultInjector(opts.Seed, opts.FaultRate)
	}
	return cl
}

// Close stops the timers of running operations. Operations still finish
// when their cluster is next looked at. Close may be called more than
// once.
func (cl *Cloud) Close() {
	cl.closed.Store(true)
	cl.ops.Range(func(_, v any) bool {
		op := v.(*operation)
		c := op.cluster
		c.mu.Lock()
		if op.timer != nil {
			op.timer.Stop()
		}
		c.mu.Unlock()
		return true
	})
}

// Catalog returns a copy of what the cloud offers now.
func (cl *Cloud) Catalog() Catalog {
	return cl.catalog.Load().source.clone()
}

// lookupOperation finds an operation by id.
func (cl *Cloud) lookupOperation(id string) *operation {
	v, ok := cl.ops.Load(id)
	if !ok {
		return nil
	}
	return v.(*operation)
}
