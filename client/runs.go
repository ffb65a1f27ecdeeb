package client

import (
	"context"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runs"
)

// PutRun creates an update run, or changes one that has not started. Give
// either UpdateStrategyID or Strategy (or neither: one stage, one group of
// every member), and the ManagedClusterUpdate.
func (c *Client) PutRun(ctx context.Context, ref fleet.FleetRef, name string, p fleet.UpdateRunProperties, opts ...Option) (*fleet.UpdateRun, error) {
	ref, err := c.childRef(ref, collRuns, name)
	if err != nil {
		return nil, err
	}
	body := fleet.UpdateRun{Properties: fleet.UpdateRunProperties{
		UpdateStrategyID:     p.UpdateStrategyID,
		Strategy:             p.Strategy,
		ManagedClusterUpdate: p.ManagedClusterUpdate,
	}}
	var out fleet.UpdateRun
	if _, err := c.do(ctx, http.MethodPut, c.endpoint(childPath(ref, collRuns, name), nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetRun reads an update run with its status tree.
func (c *Client) GetRun(ctx context.Context, ref fleet.FleetRef, name string) (*fleet.UpdateRun, error) {
	ref, err := c.childRef(ref, collRuns, name)
	if err != nil {
		return nil, err
	}
	var out fleet.UpdateRun
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collRuns, name), nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListRuns lists a fleet's update runs.
func (c *Client) ListRuns(ctx context.Context, ref fleet.FleetRef) ([]fleet.UpdateRun, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	return list[fleet.UpdateRun](ctx, c, c.endpoint(fleetPath(ref)+"/"+collRuns, nil))
}

// DeleteRun deletes an update run that is not in progress. deleted is
// false when there was no such run.
func (c *Client) DeleteRun(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (deleted bool, err error) {
	ref, err = c.childRef(ref, collRuns, name)
	if err != nil {
		return false, err
	}
	status, err := c.do(ctx, http.MethodDelete, c.endpoint(childPath(ref, collRuns, name), nil), nil, nil, opts...)
	return err == nil && status != http.StatusNoContent, err
}

// StartRun starts a NotStarted run, or resumes a Stopped or Failed one.
func (c *Client) StartRun(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (*fleet.UpdateRun, error) {
	return c.runAction(ctx, ref, name, "start", nil, opts)
}

// StopRun stops a running run: no new member starts, and upgrades in
// flight run to their end.
func (c *Client) StopRun(ctx context.Context, ref fleet.FleetRef, name string, opts ...Option) (*fleet.UpdateRun, error) {
	return c.runAction(ctx, ref, name, "stop", nil, opts)
}

// SkipRun skips members, groups, stages or after-stage waits of a run.
func (c *Client) SkipRun(ctx context.Context, ref fleet.FleetRef, name string, targets []fleet.SkipTarget, opts ...Option) (*fleet.UpdateRun, error) {
	return c.runAction(ctx, ref, name, "skip", fleet.SkipProperties{Targets: targets}, opts)
}

func (c *Client) runAction(ctx context.Context, ref fleet.FleetRef, name, action string, body any, opts []Option) (*fleet.UpdateRun, error) {
	ref, err := c.childRef(ref, collRuns, name)
	if err != nil {
		return nil, err
	}
	var out fleet.UpdateRun
	if _, err := c.do(ctx, http.MethodPost, c.endpoint(childPath(ref, collRuns, name)+"/"+action, nil), body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// PlanRun reads what a run will do, member by member, from a fresh look
// at each member's cluster (caravan's own extension of the API).
func (c *Client) PlanRun(ctx context.Context, ref fleet.FleetRef, name string) (*runs.Plan, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	var out runs.Plan
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collRuns, name)+"/plan", nil), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
