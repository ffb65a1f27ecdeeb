package store

import (
	"context"
	"errors"
	"time"
)

// Lease is one server's hold on a name: an update run's id (the server
// drives the run) or a server's presence (see PresencePrefix). A lease
// ends at Expires unless renewed before; Epoch grows by one every time
// the lease passes to a new owner, so a write fenced with an older epoch
// is refused.
type Lease struct {
	Name    string
	Owner   string
	Epoch   int64
	Expires time.Time // by the store's clock: the database's, on PostgreSQL
}

// PresencePrefix starts the name of a lease a server holds on itself
// while it runs, so that servers can count each other to share the work.
const PresencePrefix = "caravan-server:"

// Leaser is the capability of a store that several servers share: leases
// that expire by the store's clock, and writes fenced by a lease. Stores
// used by one server alone (memory, SQLite) implement it trivially.
type Leaser interface {
	// AcquireLease gives the lease on name to owner for ttl if it is free,
	// expired or already owner's, and returns it; a new owner gets the
	// next epoch, the same owner keeps its epoch. It returns ErrLeaseHeld
	// when another owner holds an unexpired lease.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (Lease, error)
	// RenewLease extends a lease still held at its epoch and not expired
	// to ttl from now; else it returns ErrLeaseLost.
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease hands a lease back at once, if it is still held at its
	// epoch; releasing a lease already lost does nothing. The next owner
	// gets the next epoch.
	ReleaseLease(ctx context.Context, l Lease) error
	// Leases returns the unexpired leases whose name starts with prefix
	// ("" for all), in name order, and the store's time now.
	Leases(ctx context.Context, prefix string) ([]Lease, time.Time, error)
	// PutLeased is Put fenced by a lease: in one transaction, it writes
	// rec if cond holds and the lease is still held at its epoch and not
	// expired. It returns ErrLeaseLost when the lease is not, and then
	// writes nothing.
	PutLeased(ctx context.Context, rec Record, cond Precondition, l Lease) error
}

// PartLeaser is the capability of a store that keeps records in parts
// (PartStore) and leases them (Leaser): writes in parts fenced by a lease,
// so that the server driving a large run writes only what changed. The
// stores of this module implement it.
type PartLeaser interface {
	// PutPartsLeased is PutParts fenced by a lease: in one transaction,
	// it writes the record and its parts if cond holds and the lease is
	// still held at its epoch and not expired. It returns ErrLeaseLost
	// when the lease is not, and then writes nothing.
	PutPartsLeased(ctx context.Context, w PartedWrite, cond Precondition, l Lease) error
}

// Lease errors, for errors.Is.
var (
	ErrLeaseHeld = errors.New("the lease is held by another owner")
	ErrLeaseLost = errors.New("the lease is no longer held: it expired or passed to another owner")
)
