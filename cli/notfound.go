package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

// missingFleet explains a 404 about a fleet.
func missingFleet(ref fleet.FleetRef) error {
	return fmt.Errorf("fleet %s not found in resource group %s (subscription %s); list fleets with `caravan fleet list -g %s`, or create it with `caravan fleet create -g %s -n %s -l LOCATION`",
		ref.Fleet, ref.ResourceGroup, ref.Subscription, ref.ResourceGroup, ref.ResourceGroup, ref.Fleet)
}

// explain404 turns a 404 about a resource in a fleet into a message that
// says which is missing, the resource or its fleet, and what to do.
// kind is "member", "update strategy" or "update run"; list is the
// command that lists them.
func explain404(ctx context.Context, c *client.Client, err error, ref fleet.FleetRef, kind, name, list string) error {
	var ce *client.Error
	if !errors.As(err, &ce) || ce.StatusCode != 404 {
		return err
	}
	if ce.Code == "ParentResourceNotFound" || name == "" {
		return missingFleet(ref)
	}
	if _, ferr := c.GetFleet(ctx, ref); client.IsNotFound(ferr) {
		return missingFleet(ref)
	}
	return fmt.Errorf("%s %s not found in fleet %s (resource group %s); list them with `caravan %s list -g %s -f %s`",
		kind, name, ref.Fleet, ref.ResourceGroup, list, ref.ResourceGroup, ref.Fleet)
}
