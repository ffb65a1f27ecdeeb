package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// A cluster belongs to at most one member in the whole store, in any
// fleet of any resource group. The store holds one claim record per
// cluster, keyed by the cluster and created only if absent, so two
// concurrent PUTs naming one cluster cannot both win, on one server or
// several.

// claim is the body of a cluster's claim record.
type claim struct {
	Cluster string `json:"cluster"`
	Member  string `json:"member"`
}

// claimID is the store id of a cluster's claim.
func claimID(clusterID string) string { return "/clusterclaims" + fleet.ClusterKey(clusterID) }

// owner returns the member that holds a cluster's claim and is still a
// member of it, or nil when the claim is missing or left over from a
// member that no longer exists. It also returns the claim's record, for
// taking over a leftover claim.
func (a *API) owner(ctx context.Context, clusterID string) (*fleet.Member, store.Record, error) {
	rec, err := a.cfg.Store.Get(ctx, store.ClusterClaims, claimID(clusterID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, rec, nil
	}
	if err != nil {
		return nil, rec, err
	}
	c, err := store.Decode[claim](rec)
	if err != nil {
		return nil, rec, err
	}
	m, _, err := store.Load[fleet.Member](ctx, a.cfg.Store, store.Members, store.CanonicalID(c.Member))
	if errors.Is(err, store.ErrNotFound) {
		return nil, rec, nil
	}
	if err != nil {
		return nil, rec, err
	}
	if fleet.ClusterKey(m.Properties.ClusterResourceID) != fleet.ClusterKey(clusterID) {
		return nil, rec, nil
	}
	return m, rec, nil
}

// checkUnclaimed refuses a cluster another member already holds.
func (a *API) checkUnclaimed(ctx context.Context, memberID, clusterID string) error {
	m, _, err := a.owner(ctx, clusterID)
	if err != nil {
		return err
	}
	if m != nil && store.CanonicalID(m.ID) != store.CanonicalID(memberID) {
		return duplicateMember(m, clusterID)
	}
	return nil
}

// takeClaim makes memberID the holder of the cluster's claim, unless a
// live member other than it holds it: then it returns the 409 that names
// that member.
func (a *API) takeClaim(ctx context.Context, memberID, clusterID string) error {
	body, err := json.Marshal(claim{Cluster: clusterID, Member: memberID})
	if err != nil {
		return err
	}
	rec := store.Record{Kind: store.ClusterClaims, ID: claimID(clusterID), Parent: store.CanonicalID(memberID), ETag: a.cfg.NewID(), Body: body}
	for range 5 {
		m, old, err := a.owner(ctx, clusterID)
		if err != nil {
			return err
		}
		cond := store.Precondition{IfNoneMatch: "*"}
		switch {
		case m != nil && store.CanonicalID(m.ID) == store.CanonicalID(memberID):
			return nil
		case m != nil:
			return duplicateMember(m, clusterID)
		case old.ID != "":
			// A claim left by a member that is gone: take it over, if
			// nobody else does first.
			cond = store.Precondition{IfMatch: old.ETag}
		}
		err = a.cfg.Store.Put(ctx, rec, cond)
		if !errors.Is(err, store.ErrPreconditionFailed) {
			return err
		}
	}
	return unavailable("cluster " + clusterID + " is being added to several fleets at once")
}

func duplicateMember(m *fleet.Member, clusterID string) error {
	where := m.Name
	if f, _, name, err := fleet.ParseFleetChildID(m.ID); err == nil {
		where = fmt.Sprintf("member %s of fleet %s in resource group %s", name, f.Fleet, f.ResourceGroup)
	}
	return &fleet.Error{Kind: fleet.KindConflict, Code: "ClusterAlreadyMember", Field: "properties.clusterResourceId",
		Message: fmt.Sprintf("cluster %s is already %s; a cluster can be a member of one fleet only: use that member, or delete it before adding the cluster here", clusterID, where)}
}
