package api

import (
	"errors"
	"net/http"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

func (a *API) getMember(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, err := a.load(r.Context(), store.Members, rt.childID(), "member "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	m, err := store.Decode[fleet.Member](rec)
	if err != nil {
		return err
	}
	m.Properties.Cluster = a.clusters.info(r.Context(), m.Properties.ClusterResourceID, true)
	setETag(w, rec.ETag)
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) putMember(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := fleet.ValidateName("name", rt.name, fleet.MaxNameLength); err != nil {
		return err
	}
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in fleet.Member
	if err := decode(body, &in); err != nil {
		return err
	}
	if err := fleet.ValidateMember("properties", in.Properties); err != nil {
		return err
	}
	// One spelling per cluster, before anything compares or stores it.
	if in.Properties.ClusterResourceID, err = fleet.CanonicalClusterID(in.Properties.ClusterResourceID); err != nil {
		return fleet.Invalid("properties.clusterResourceId", "%v", err)
	}
	ctx := r.Context()
	old, exists, err := a.exists(ctx, store.Members, rt.childID())
	if err != nil {
		return err
	}
	m := fleet.Member{ID: rt.childID(), Name: rt.name, Type: fleet.TypeMember}
	var prev *fleet.SystemData
	if exists {
		was, err := store.Decode[fleet.Member](old)
		if err != nil {
			return err
		}
		if fleet.ClusterKey(was.Properties.ClusterResourceID) != fleet.ClusterKey(in.Properties.ClusterResourceID) {
			return fleet.Invalid("properties.clusterResourceId", "a member's cluster cannot change (it is %s); delete the member and create it again", was.Properties.ClusterResourceID)
		}
		m.ID, prev = was.ID, was.SystemData
		in.Properties.ClusterResourceID = was.Properties.ClusterResourceID
		// A member from before claims were kept takes its claim now.
		if err := a.takeClaim(ctx, m.ID, in.Properties.ClusterResourceID); err != nil {
			return err
		}
	} else {
		if err := a.checkUnclaimed(ctx, m.ID, in.Properties.ClusterResourceID); err != nil {
			return err
		}
		if err := a.clusters.check(ctx, in.Properties.ClusterResourceID); err != nil {
			return err
		}
	}
	m.Properties = fleet.MemberProperties{
		ClusterResourceID: in.Properties.ClusterResourceID,
		Group:             in.Properties.Group,
		Labels:            in.Properties.Labels,
		ProvisioningState: fleet.ProvisioningSucceeded,
		Status:            applied(ctx),
	}
	m.SystemData = a.stamp(r, prev)
	rec, err := a.save(ctx, store.Members, m.ID, rt.fleetID(), "", &m, func(e string) { m.ETag = e }, precondition(r))
	if err != nil {
		return err
	}
	if !exists {
		// Written first and claimed second: of two members racing for
		// one cluster, the one that loses the claim takes itself back.
		if err := a.takeClaim(ctx, m.ID, m.Properties.ClusterResourceID); err != nil {
			if derr := a.cfg.Store.Delete(ctx, store.Members, store.CanonicalID(m.ID), store.Precondition{IfMatch: rec.ETag}); derr != nil && !errors.Is(derr, store.ErrNotFound) {
				a.log.Error("cannot remove a member whose cluster another member holds", "member", m.ID, "error", derr)
			}
			return err
		}
	}
	m.Properties.Cluster = a.clusters.info(ctx, m.Properties.ClusterResourceID, false)
	setETag(w, rec.ETag)
	writeJSON(w, created(!exists), m)
	return nil
}

func (a *API) patchMember(w http.ResponseWriter, r *http.Request, rt route) error {
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Properties struct {
			Group  *string           `json:"group"`
			Labels map[string]string `json:"labels"`
		} `json:"properties"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	ctx := r.Context()
	rec, err := a.load(ctx, store.Members, rt.childID(), "member "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	m, err := store.Decode[fleet.Member](rec)
	if err != nil {
		return err
	}
	if in.Properties.Group != nil {
		m.Properties.Group = *in.Properties.Group
	}
	if in.Properties.Labels != nil {
		m.Properties.Labels = in.Properties.Labels
	}
	if err := fleet.ValidateMember("properties", m.Properties); err != nil {
		return err
	}
	m.Properties.Status = applied(ctx)
	cond := precondition(r)
	if cond.IfMatch == "" {
		cond.IfMatch = rec.ETag
	}
	m.SystemData = a.stamp(r, m.SystemData)
	out, err := a.save(ctx, store.Members, m.ID, rt.fleetID(), "", m, func(e string) { m.ETag = e }, cond)
	if err != nil {
		return err
	}
	m.Properties.Cluster = a.clusters.info(ctx, m.Properties.ClusterResourceID, false)
	setETag(w, out.ETag)
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) deleteMember(w http.ResponseWriter, r *http.Request, rt route) error {
	runs, err := a.activeRuns(r.Context(), rt.fleetID())
	if err != nil {
		return err
	}
	for _, id := range runs {
		run, _, err := store.Load[fleet.UpdateRun](r.Context(), a.cfg.Store, store.Runs, id)
		if err != nil {
			a.cfg.Damage.Report(err)
			continue
		}
		if inRun(run, rt.name) {
			return fleet.Conflict("member %s is part of update run %s, which is in progress; stop the run (or skip the member and wait for the run to finish) before deleting it", rt.name, run.Name)
		}
	}
	return a.remove(w, r, store.Members, rt.childID())
}

// inRun reports whether a member is in a run and not yet finished in it.
func inRun(run *fleet.UpdateRun, member string) bool {
	if run.Properties.Status == nil {
		return false
	}
	for _, st := range run.Properties.Status.Stages {
		for _, g := range st.Groups {
			for _, m := range g.Members {
				if m.Name == member && !m.Status.State.Finished() {
					return true
				}
			}
		}
	}
	return false
}
