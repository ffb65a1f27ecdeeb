package client

import (
	"context"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
)

// MemberUpdate is a change to a member: nil fields are left as they are.
type MemberUpdate struct {
	// Group moves the member to another update group ("" takes it out of
	// every group).
	Group *string
	// Labels replaces the member's labels.
	Labels map[string]string
}

// PutMember adds a cluster to a fleet, or replaces a member's group and
// labels (its cluster cannot change).
func (c *Client) PutMember(ctx context.Context, ref fleet.FleetRef, name string, m fleet.Member, opts ...Option) (*fleet.Member, error) {
	ref, err := c.childRef(ref, collMembers, name)
	if err != nil {
		return nil, err
	}
	body := fleet.Member{Properties: fleet.MemberProperties{
		ClusterResourceID: m.Properties.ClusterResourceID,
		Group:             m.Properties.Group,
		Labels:            m.Properties.Labels,
	}}
	var out fleet.Member
	if _, err := c.do(ctx, http.MethodPut, c.endpoint(childPath(ref, collMembers, name), nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateMember changes a member's group or labels.
func (c *Client) UpdateMember(ctx context.Context, ref fleet.FleetRef, name string, u MemberUpdate, opts ...Option) (*fleet.Member, error) {
	ref, err := c.childRef(ref, collMembers, name)
	if err != nil {
		return nil, err
	}
	props := map[string]any{}
	if u.Group != nil {
		props["group"] = *u.Group
	}
	if u.Labels != nil {
		props["labels"] = u.Labels
	}
	var out fleet.Member
	if _, err := c.do(ctx, http.MethodPatch, c.endpoint(childPath(ref, collMembers, name), nil), map[string]any{"properties": props}, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetMember reads a member, with what caravan last observed of its
// cluster in Properties.Cluster.
func (c *Client) GetMember(ctx context.Context, ref fleet.FleetRef, name string) (*fleet.Member, error) {
	ref, err := c.childRef(ref, collMembers, name)
	if err != nil {
		return nil, err
	}
	var out fleet.Member
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collMembers, name), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListMembers lists every member of a fleet, in name order.
func (c *Client) ListMembers(ctx context.Context, ref fleet.FleetRef) ([]fleet.Member, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	return list[fleet.Member](ctx, c, c.endpoint(fleetPath(ref)+"/"+collMembers, nil))
}

// DeleteMember removes a member from its fleet. deleted is false when
// there was no such member.
func (c *Client) DeleteMember(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (deleted bool, err error) {
	ref, err = c.childRef(ref, collMembers, name)
	if err != nil {
		return false, err
	}
	status, err := c.do(ctx, http.MethodDelete, c.endpoint(childPath(ref, collMembers, name), nil), nil, nil, opts...)
	return err == nil && status != http.StatusNoContent, err
}
