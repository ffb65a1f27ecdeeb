package store

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// LocalLeases are leases kept in process memory, by the process's clock:
// what a store that only one server uses needs to implement Leaser. A
// store embeds it for the lease methods and adds PutLeased, a Put inside
// Fenced. The zero value is ready.
type LocalLeases struct {
	mu     sync.Mutex
	leases map[string]Lease
	// Now defaults to time.Now.
	Now func() time.Time
}

func (l *LocalLeases) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// AcquireLease implements Leaser.
func (l *LocalLeases) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leases == nil {
		l.leases = map[string]Lease{}
	}
	now := l.now()
	cur, ok := l.leases[name]
	if ok && cur.Owner != owner && now.Before(cur.Expires) {
		return Lease{}, ErrLeaseHeld
	}
	next := Lease{Name: name, Owner: owner, Epoch: cur.Epoch, Expires: now.Add(ttl)}
	if !ok || cur.Owner != owner || !now.Before(cur.Expires) {
		next.Epoch++
	}
	l.leases[name] = next
	return next, nil
}

// held reports whether l is still the current, unexpired lease; the
// caller holds mu.
func (l *LocalLeases) held(le Lease) bool {
	cur, ok := l.leases[le.Name]
	return ok && cur.Owner == le.Owner && cur.Epoch == le.Epoch && l.now().Before(cur.Expires)
}

// RenewLease implements Leaser.
func (l *LocalLeases) RenewLease(ctx context.Context, le Lease, ttl time.Duration) (Lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held(le) {
		return Lease{}, ErrLeaseLost
	}
	le.Expires = l.now().Add(ttl)
	l.leases[le.Name] = le
	return le, nil
}

// ReleaseLease implements Leaser: the lease is kept, expired, so that its
// epoch goes on growing.
func (l *LocalLeases) ReleaseLease(ctx context.Context, le Lease) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.leases[le.Name]; ok && cur.Owner == le.Owner && cur.Epoch == le.Epoch {
		cur.Expires = time.Time{}
		cur.Owner = ""
		l.leases[le.Name] = cur
	}
	return nil
}

// Leases implements Leaser.
func (l *LocalLeases) Leases(ctx context.Context, prefix string) ([]Lease, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var out []Lease
	for name, le := range l.leases {
		if strings.HasPrefix(name, prefix) && now.Before(le.Expires) {
			out = append(out, le)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, now, nil
}

// Fenced runs put, a write, if the lease is held, with no lease changing
// meanwhile; else it returns ErrLeaseLost.
func (l *LocalLeases) Fenced(ctx context.Context, le Lease, put func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held(le) {
		return ErrLeaseLost
	}
	return put()
}
