package store

import (
	"context"
	"errors"
)

// Kind is a resource collection, named as in ARM paths.
type Kind string

// The kinds caravan stores.
const (
	Fleets     Kind = "fleets"
	Members    Kind = "members"
	Strategies Kind = "updateStrategies"
	Runs       Kind = "updateRuns"
	// ClusterClaims hold, one per cluster, which member a cluster belongs
	// to, so that a cluster joins at most one fleet of a store: the
	// record's ID is the cluster's, created only if it does not exist,
	// and its Parent is the member's.
	ClusterClaims Kind = "clusterClaims"
	// ClusterObservations hold what a provider last observed of a
	// member's cluster; the Parent is the member.
	ClusterObservations Kind = "clusterObservations"
)

// Record is one stored resource.
type Record struct {
	Kind Kind
	// ID is the resource's canonical id: its ARM id in lower case.
	ID string
	// Parent is the canonical id of what the resource lives in: the
	// resource group for a fleet, the fleet for its children. Deleting a
	// record deletes every record whose Parent is its ID.
	Parent string
	// ETag changes with every write; the caller chooses it.
	ETag string
	// State is an indexed attribute that List can filter on (a run's
	// state); empty for kinds that have none.
	State string
	// Body is the resource as JSON.
	Body []byte
}

// Precondition guards a write. Empty fields check nothing.
type Precondition struct {
	// IfMatch: "*" requires the record to exist; any other value requires
	// its ETag to equal it.
	IfMatch string
	// IfNoneMatch: "*" requires the record not to exist; any other value
	// requires its ETag to differ.
	IfNoneMatch string
}

// ListOptions selects records of one kind.
type ListOptions struct {
	Kind Kind
	// Parent, when set, selects the records directly in it.
	Parent string
	// ParentPrefix, when set, selects records whose parent starts with it
	// (all fleets of a subscription, say).
	ParentPrefix string
	// States, when set, selects records in one of these states.
	States []string
	// After is the Next token of a previous page.
	After string
	// Limit caps the page size; 0 means no cap.
	Limit int
}

// Page is one page of records in ID order.
type Page struct {
	Records []Record
	// Next is the token for the following page, empty on the last.
	Next string
}

// Store keeps resources. All methods are safe for concurrent use.
type Store interface {
	// Get returns a record, or ErrNotFound.
	Get(ctx context.Context, kind Kind, id string) (Record, error)
	// List returns records in ID order.
	List(ctx context.Context, opts ListOptions) (Page, error)
	// Put creates or replaces a record if the precondition holds, else
	// returns ErrPreconditionFailed. A record whose kind has a ParentKind
	// is written only while its parent record exists, else Put returns
	// ErrParentNotFound. Keys a store cannot hold are refused with an
	// *InvalidKeyError (see CheckKey).
	Put(ctx context.Context, rec Record, cond Precondition) error
	// Delete removes a record and the records in it if the precondition
	// holds. It returns ErrNotFound when there is no such record.
	Delete(ctx context.Context, kind Kind, id string, cond Precondition) error
	// Close releases the store; it is safe to call twice.
	Close() error
}

// Errors every store returns, for errors.Is.
var (
	ErrNotFound           = errors.New("resource not found")
	ErrPreconditionFailed = errors.New("precondition failed: the resource changed or does not match the given ETag")
	ErrClosed             = errors.New("store is closed")
)

// ErrParentNotFound refuses to write a record whose parent record (see
// ParentKind) does not exist: its fleet was deleted, or never created.
// It is also an ErrPreconditionFailed (errors.Is holds for both): the
// write's implied precondition, that its parent exists, failed, and a
// writer that lets go of a record whose ETag moved (the engine) lets go
// of one whose fleet is gone.
var ErrParentNotFound error = parentNotFound{}

type parentNotFound struct{}

func (parentNotFound) Error() string { return "the resource's parent does not exist" }

func (parentNotFound) Is(target error) bool { return target == ErrPreconditionFailed }

// ParentKind is the kind of the record a record of kind k lives in, or ""
// when k's parent is not a stored record (a fleet lives in a resource
// group). A store refuses to write a record whose parent record does not
// exist, and Delete removes a record's descendants with it, atomically:
// no record outlives its parent.
func ParentKind(k Kind) Kind {
	switch k {
	case Members, Strategies, Runs:
		return Fleets
	}
	return ""
}

// Check reports whether cond holds for a record that exists (with the
// given etag) or not; implementations share it so they agree.
func Check(cond Precondition, exists bool, etag string) bool {
	switch cond.IfMatch {
	case "":
	case "*":
		if !exists {
			return false
		}
	default:
		if !exists || etag != cond.IfMatch {
			return false
		}
	}
	switch cond.IfNoneMatch {
	case "":
	case "*":
		if exists {
			return false
		}
	default:
		if exists && etag == cond.IfNoneMatch {
			return false
		}
	}
	return true
}
