package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/caravan-dev/caravan/fleet"
)

// ListGates lists a fleet's gates; with states, only those in one of
// them (Pending, Completed, Skipped).
func (c *Client) ListGates(ctx context.Context, ref fleet.FleetRef, states ...fleet.State) ([]fleet.Gate, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	var q url.Values
	if len(states) > 0 {
		f := ""
		for i, s := range states {
			if i > 0 {
				f += " or "
			}
			f += "properties/state eq '" + string(s) + "'"
		}
		q = url.Values{"$filter": {f}}
	}
	return list[fleet.Gate](ctx, c, c.endpoint(fleetPath(ref)+"/"+collGates, q))
}

// GetGate reads a gate.
func (c *Client) GetGate(ctx context.Context, ref fleet.FleetRef, name string) (*fleet.Gate, error) {
	ref, err := c.childRef(ref, collGates, name)
	if err != nil {
		return nil, err
	}
	var out fleet.Gate
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collGates, name), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveGate completes a gate, so the run it holds moves on. Approving a
// completed gate changes nothing.
func (c *Client) ApproveGate(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (*fleet.Gate, error) {
	ref, err := c.childRef(ref, collGates, name)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"properties": map[string]any{"state": fleet.Completed}}
	var out fleet.Gate
	if _, err := c.do(ctx, http.MethodPatch, c.endpoint(childPath(ref, collGates, name), nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}
