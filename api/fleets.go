package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// fleetBody is what a client may send for a fleet: Azure's fields, of
// which caravan keeps location and tags.
type fleetBody struct {
	fleet.Fleet
	Identity   json.RawMessage `json:"identity,omitempty"`
	Properties struct {
		fleet.FleetProperties
		HubProfile json.RawMessage `json:"hubProfile,omitempty"`
		Status     json.RawMessage `json:"status,omitempty"`
	} `json:"properties"`
}

func (a *API) getFleet(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, err := a.load(r.Context(), store.Fleets, rt.fleetID(), "fleet "+rt.fleet)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, rec)
}

func (a *API) putFleet(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := fleet.ValidateName("name", rt.fleet, fleet.MaxFleetNameLength); err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in fleetBody
	if err := decode(body, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Location) == "" {
		return fleet.Invalid("location", "a location is required, such as \"eastus\"")
	}
	if len(in.Properties.HubProfile) > 0 && string(in.Properties.HubProfile) != "null" {
		return fleet.Invalid("properties.hubProfile", "caravan fleets have no hub cluster; remove hubProfile")
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	ctx := r.Context()
	old, exists, err := a.exists(ctx, store.Fleets, rt.fleetID())
	if err != nil {
		return err
	}
	f := fleet.Fleet{
		ID:         rt.fleetID(),
		Name:       rt.fleet,
		Type:       fleet.TypeFleet,
		Location:   in.Location,
		Tags:       in.Tags,
		Properties: fleet.FleetProperties{ProvisioningState: fleet.ProvisioningSucceeded},
	}
	var prev *fleet.SystemData
	if exists {
		was, err := store.Decode[fleet.Fleet](old)
		if err != nil {
			return err
		}
		if !strings.EqualFold(was.Location, f.Location) {
			return fleet.Invalid("location", "a fleet's location cannot change (it is %s); create a new fleet instead", was.Location)
		}
		f.ID, prev = was.ID, was.SystemData
	}
	f.SystemData = a.stamp(r, prev)
	rec, err := a.save(ctx, store.Fleets, f.ID, rt.rgID(), "", &f, func(e string) { f.ETag = e }, precondition(r))
	if err != nil {
		return err
	}
	return respond(w, created(!exists), rec)
}

func (a *API) patchFleet(w http.ResponseWriter, r *http.Request, rt route) error {
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Tags     map[string]string `json:"tags"`
		Identity json.RawMessage   `json:"identity,omitempty"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	ctx := r.Context()
	rec, err := a.load(ctx, store.Fleets, rt.fleetID(), "fleet "+rt.fleet)
	if err != nil {
		return err
	}
	cond := precondition(r)
	if cond.IfMatch == "" {
		cond.IfMatch = rec.ETag
	}
	f, err := store.Decode[fleet.Fleet](rec)
	if err != nil {
		return err
	}
	if in.Tags != nil {
		f.Tags = in.Tags
	}
	f.SystemData = a.stamp(r, f.SystemData)
	out, err := a.save(ctx, store.Fleets, f.ID, rt.rgID(), "", f, func(e string) { f.ETag = e }, cond)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, out)
}

func (a *API) deleteFleet(w http.ResponseWriter, r *http.Request, rt route) error {
	if active, err := a.activeRuns(r.Context(), rt.fleetID()); err != nil {
		return err
	} else if len(active) > 0 {
		return fleet.Conflict("fleet %s has update run %s in progress; stop it and wait until it is Stopped before deleting the fleet", rt.fleet, active[0])
	}
	return a.remove(w, r, store.Fleets, rt.fleetID())
}

func (a *API) listCredentials(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := a.load(r.Context(), store.Fleets, rt.fleetID(), "fleet "+rt.fleet); err != nil {
		return err
	}
	return &fleet.Error{Kind: fleet.KindInvalid, Code: "NoHubCluster", Message: "fleet " + rt.fleet + " has no hub cluster, so it has no credentials; caravan orchestrates upgrades without one"}
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return fleet.Invalid("tags", "%d tags given; the limit is 50", len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 512 {
			return fleet.Invalid("tags", "tag name %q must be 1 to 512 characters", k)
		}
		if len(v) > 256 {
			return fleet.Invalid("tags."+k, "tag value is %d characters; the limit is 256", len(v))
		}
	}
	return nil
}
