package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// load reads a record; a missing one is a 404 that names it.
func (a *API) load(ctx context.Context, kind store.Kind, id, what string) (store.Record, error) {
	rec, err := a.cfg.Store.Get(ctx, kind, store.CanonicalID(id))
	if errors.Is(err, store.ErrNotFound) {
		return rec, fleet.NotFound("%s not found", what)
	}
	return rec, err
}

// exists reports whether a record exists and returns it.
func (a *API) exists(ctx context.Context, kind store.Kind, id string) (store.Record, bool, error) {
	rec, err := a.cfg.Store.Get(ctx, kind, store.CanonicalID(id))
	if errors.Is(err, store.ErrNotFound) {
		return rec, false, nil
	}
	return rec, err == nil, err
}

// requireFleet checks that the fleet a child lives in exists. Serve calls
// it for every request under a fleet's collections, before the handler.
func (a *API) requireFleet(ctx context.Context, rt route) error {
	_, err := a.cfg.Store.Get(ctx, store.Fleets, store.CanonicalID(rt.fleetID()))
	if errors.Is(err, store.ErrNotFound) {
		return &fleet.Error{Kind: fleet.KindNotFound, Code: "ParentResourceNotFound", Message: "fleet " + rt.fleet + " not found in resource group " + rt.rg + "; create the fleet first"}
	}
	return err
}

// save writes a resource under a new ETag, which it sets on the resource
// before encoding it. It returns the record written.
func (a *API) save(ctx context.Context, kind store.Kind, id, parent, state string, v any, setTag func(string), cond store.Precondition) (store.Record, error) {
	etag := a.cfg.NewID()
	setTag(etag)
	rec, err := store.NewRecord(kind, id, parent, etag, state, v)
	if err != nil {
		return rec, err
	}
	if err := a.cfg.Store.Put(ctx, rec, cond); err != nil {
		if errors.Is(err, store.ErrPreconditionFailed) && !errors.Is(err, store.ErrParentNotFound) {
			return rec, preconditionError(cond)
		}
		return rec, err
	}
	a.cfg.Damage.Repaired(rec.ID)
	return rec, nil
}

func preconditionError(cond store.Precondition) error {
	switch {
	case cond.IfNoneMatch == "*":
		return fleet.PreconditionFailed("the resource already exists and If-None-Match: * asks to create it only if it does not")
	case cond.IfMatch == "*":
		return fleet.PreconditionFailed("the resource does not exist and If-Match: * asks to change it only if it does")
	}
	return fleet.PreconditionFailed("the resource's ETag does not match %q; read it again and retry", cond.IfMatch)
}

// remove deletes a resource. ARM answers 200 when it deleted something and
// 204 when there was nothing to delete.
func (a *API) remove(w http.ResponseWriter, r *http.Request, kind store.Kind, id string) error {
	cond := precondition(r)
	err := a.cfg.Store.Delete(r.Context(), kind, store.CanonicalID(id), cond)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if cond.IfMatch != "" {
			return preconditionError(cond)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case errors.Is(err, store.ErrPreconditionFailed):
		return preconditionError(cond)
	case err != nil:
		return err
	}
	a.cfg.Damage.Repaired(store.CanonicalID(id))
	w.WriteHeader(http.StatusOK)
	return nil
}

// stamp returns systemData for a write: creation fields kept from the old
// resource, or set now for a new one.
func (a *API) stamp(r *http.Request, old *fleet.SystemData) *fleet.SystemData {
	now := a.now()
	who := a.cfg.Principal(r)
	sd := &fleet.SystemData{LastModifiedBy: who, LastModifiedByType: "User", LastModifiedAt: &now}
	if old != nil && old.CreatedAt != nil {
		sd.CreatedAt, sd.CreatedBy, sd.CreatedByType = old.CreatedAt, old.CreatedBy, old.CreatedByType
	} else {
		sd.CreatedAt, sd.CreatedBy, sd.CreatedByType = &now, who, "User"
	}
	return sd
}

// respond writes a stored resource: its body, with the ETag header. A
// body that is not JSON is a *store.CorruptError, never served.
func respond(w http.ResponseWriter, status int, rec store.Record) error {
	if err := store.CheckBody(rec); err != nil {
		return err
	}
	setETag(w, rec.ETag)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(rec.Body)
	return nil
}

// loadShared reads a record as load does, through store.GetShared: its
// body may be the store's, not to be changed, and checked says whether
// the store knows it to be a JSON object.
func (a *API) loadShared(ctx context.Context, kind store.Kind, id, what string) (store.Record, bool, error) {
	rec, checked, err := store.GetShared(ctx, a.cfg.Store, kind, store.CanonicalID(id))
	if errors.Is(err, store.ErrNotFound) {
		return rec, false, fleet.NotFound("%s not found", what)
	}
	return rec, checked, err
}

// respondStored writes a resource read with loadShared, as respond does,
// without checking again a body the store checked; for an api-version
// that drops fields, it shapes the body once per version of the resource
// (see shapedCache).
func (a *API) respondStored(w http.ResponseWriter, status int, rec store.Record, checked bool) error {
	if !checked {
		if err := store.CheckBody(rec); err != nil {
			return err
		}
	}
	body := rec.Body
	if sw, ok := w.(*shapingWriter); ok {
		body = a.shapeStored(rec, sw.version)
		sw.shaped = true
	}
	setETag(w, rec.ETag)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The length up front: a client sizes its buffer once for a large
	// run's document instead of growing it, and the body is not chunked.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	return nil
}

// shapeStored returns a stored resource's body shaped for version v (see
// shapeBody), once per version of the resource.
func (a *API) shapeStored(rec store.Record, v apiVersion) []byte {
	body, kept := a.shaped.get(rec.ID, rec.ETag, v)
	if !kept {
		body = shapeBody(rec.Body, v)
		a.shaped.put(rec.ID, rec.ETag, v, body)
	}
	return body
}

// created is 201 for a new resource and 200 for a replaced one.
func created(isNew bool) int {
	if isNew {
		return http.StatusCreated
	}
	return http.StatusOK
}
