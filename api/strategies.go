package api

import (
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

func (a *API) getStrategy(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, err := a.load(r.Context(), store.Strategies, rt.childID(), "update strategy "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, rec)
}

func (a *API) putStrategy(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := fleet.ValidateName("name", rt.name, fleet.MaxNameLength); err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in fleet.UpdateStrategy
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := fleet.ValidateStrategy("properties.strategy", &in.Properties.Strategy); err != nil {
		return err
	}
	ctx := r.Context()
	old, exists, err := a.exists(ctx, store.Strategies, rt.childID())
	if err != nil {
		return err
	}
	s := fleet.UpdateStrategy{
		ID:   rt.childID(),
		Name: rt.name,
		Type: fleet.TypeUpdateStrategy,
		Properties: fleet.UpdateStrategyProperties{
			Strategy:          in.Properties.Strategy,
			ProvisioningState: fleet.ProvisioningSucceeded,
		},
	}
	var prev *fleet.SystemData
	if exists {
		was, err := store.Decode[fleet.UpdateStrategy](old)
		if err != nil {
			return err
		}
		s.ID, prev = was.ID, was.SystemData
	}
	s.SystemData = a.stamp(r, prev)
	rec, err := a.save(ctx, store.Strategies, s.ID, rt.fleetID(), "", &s, func(e string) { s.ETag = e }, precondition(r))
	if err != nil {
		return err
	}
	return respond(w, created(!exists), rec)
}

// deleteStrategy deletes a strategy; runs made from it keep their copy of
// its stages.
func (a *API) deleteStrategy(w http.ResponseWriter, r *http.Request, rt route) error {
	return a.remove(w, r, store.Strategies, rt.childID())
}
