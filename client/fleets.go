package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/caravan-dev/caravan/fleet"
)

// PutFleet creates a fleet or replaces its location and tags.
func (c *Client) PutFleet(ctx context.Context, ref fleet.FleetRef, f fleet.Fleet, opts ...Option) (*fleet.Fleet, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	body := fleet.Fleet{Location: f.Location, Tags: f.Tags}
	var out fleet.Fleet
	if _, err := c.do(ctx, http.MethodPut, c.endpoint(fleetPath(ref), nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetFleet reads a fleet.
func (c *Client) GetFleet(ctx context.Context, ref fleet.FleetRef) (*fleet.Fleet, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	var out fleet.Fleet
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(fleetPath(ref), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListFleets lists the fleets of a resource group, or of the whole
// subscription when resourceGroup is empty. An empty subscription is the
// client's default.
func (c *Client) ListFleets(ctx context.Context, subscription, resourceGroup string) ([]fleet.Fleet, error) {
	if subscription == "" {
		subscription = c.sub
	}
	if err := CheckScope("subscription", subscription); err != nil {
		return nil, err
	}
	path := "/subscriptions/" + url.PathEscape(subscription)
	if resourceGroup != "" {
		if err := CheckScope("resource group", resourceGroup); err != nil {
			return nil, err
		}
		path += "/resourceGroups/" + url.PathEscape(resourceGroup)
	}
	return list[fleet.Fleet](ctx, c, c.endpoint(path+"/providers/Microsoft.ContainerService/fleets", nil))
}

// DeleteFleet deletes a fleet. deleted is false when there was no such
// fleet.
func (c *Client) DeleteFleet(ctx context.Context, ref fleet.FleetRef, opts ...Option) (deleted bool, err error) {
	ref, err = c.ref(ref)
	if err != nil {
		return false, err
	}
	status, err := c.do(ctx, http.MethodDelete, c.endpoint(fleetPath(ref), nil), nil, nil, opts...)
	return err == nil && status != http.StatusNoContent, err
}
