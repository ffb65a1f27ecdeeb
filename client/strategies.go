package client

import (
	"context"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
)

// PutStrategy creates an update strategy or replaces its stages.
func (c *Client) PutStrategy(ctx context.Context, ref fleet.FleetRef, name string, s fleet.RunStrategy, opts ...Option) (*fleet.UpdateStrategy, error) {
	ref, err := c.childRef(ref, collStrategies, name)
	if err != nil {
		return nil, err
	}
	body := fleet.UpdateStrategy{Properties: fleet.UpdateStrategyProperties{Strategy: s}}
	var out fleet.UpdateStrategy
	if _, err := c.do(ctx, http.MethodPut, c.endpoint(childPath(ref, collStrategies, name), nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetStrategy reads an update strategy.
func (c *Client) GetStrategy(ctx context.Context, ref fleet.FleetRef, name string) (*fleet.UpdateStrategy, error) {
	ref, err := c.childRef(ref, collStrategies, name)
	if err != nil {
		return nil, err
	}
	var out fleet.UpdateStrategy
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collStrategies, name), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListStrategies lists a fleet's update strategies.
func (c *Client) ListStrategies(ctx context.Context, ref fleet.FleetRef) ([]fleet.UpdateStrategy, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	return list[fleet.UpdateStrategy](ctx, c, c.endpoint(fleetPath(ref)+"/"+collStrategies, nil))
}

// DeleteStrategy deletes an update strategy; runs made from it keep their
// copy of its stages. deleted is false when there was no such strategy.
func (c *Client) DeleteStrategy(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (deleted bool, err error) {
	ref, err = c.childRef(ref, collStrategies, name)
	if err != nil {
		return false, err
	}
	status, err := c.do(ctx, http.MethodDelete, c.endpoint(childPath(ref, collStrategies, name), nil), nil, nil, opts...)
	return err == nil && status != http.StatusNoContent, err
}

// StrategyID is the ARM id of a fleet's update strategy, as a run's
// updateStrategyId names it.
func (c *Client) StrategyID(ref fleet.FleetRef, name string) (string, error) {
	ref, err := c.childRef(ref, collStrategies, name)
	if err != nil {
		return "", err
	}
	return ref.Child(collStrategies, name), nil
}
