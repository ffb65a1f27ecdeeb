package client

import (
	"context"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
)

// PutAutoUpgradeProfile creates an auto-upgrade profile or replaces its
// settings.
func (c *Client) PutAutoUpgradeProfile(ctx context.Context, ref fleet.FleetRef, name string, p fleet.AutoUpgradeProfileProperties, opts ...Option) (*fleet.AutoUpgradeProfile, error) {
	ref, err := c.childRef(ref, collProfiles, name)
	if err != nil {
		return nil, err
	}
	p.Status, p.ProvisioningState = nil, ""
	var out fleet.AutoUpgradeProfile
	if _, err := c.do(ctx, http.MethodPut, c.endpoint(childPath(ref, collProfiles, name), nil), fleet.AutoUpgradeProfile{Properties: p}, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAutoUpgradeProfile reads an auto-upgrade profile.
func (c *Client) GetAutoUpgradeProfile(ctx context.Context, ref fleet.FleetRef, name string) (*fleet.AutoUpgradeProfile, error) {
	ref, err := c.childRef(ref, collProfiles, name)
	if err != nil {
		return nil, err
	}
	var out fleet.AutoUpgradeProfile
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collProfiles, name), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAutoUpgradeProfiles lists a fleet's auto-upgrade profiles.
func (c *Client) ListAutoUpgradeProfiles(ctx context.Context, ref fleet.FleetRef) ([]fleet.AutoUpgradeProfile, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	return list[fleet.AutoUpgradeProfile](ctx, c, c.endpoint(fleetPath(ref)+"/"+collProfiles, nil))
}

// DeleteAutoUpgradeProfile deletes an auto-upgrade profile; the runs it
// made stay. deleted is false when there was no such profile.
func (c *Client) DeleteAutoUpgradeProfile(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (deleted bool, err error) {
	ref, err = c.childRef(ref, collProfiles, name)
	if err != nil {
		return false, err
	}
	status, err := c.do(ctx, http.MethodDelete, c.endpoint(childPath(ref, collProfiles, name), nil), nil, nil, opts...)
	return err == nil && status != http.StatusNoContent, err
}

// GenerateUpdateRun creates, without starting it, an update run of what
// the profile's channel takes from the cloud's catalogs now, and returns
// the run's id.
func (c *Client) GenerateUpdateRun(ctx context.Context, ref fleet.FleetRef, profile string) (string, error) {
	ref, err := c.childRef(ref, collProfiles, profile)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if _, err := c.do(ctx, http.MethodPost, c.endpoint(childPath(ref, collProfiles, profile)+"/generateUpdateRun", nil), nil, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}
