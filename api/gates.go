package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// gateNotifier is what the API needs from the engine when a gate is
// completed: to tell the run, so it moves on at once. An engine without
// it finds out when the run next starts.
type gateNotifier interface {
	GateCompleted(runID, gateID string)
}

func (a *API) getGate(w http.ResponseWriter, r *http.Request, rt route) error {
	rec, err := a.load(r.Context(), store.Gates, rt.childID(), "gate "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	respond(w, http.StatusOK, rec)
	return nil
}

// listGates lists a fleet's gates; $filter selects them by state, as in
// "properties/state eq 'Pending'" (several joined by "or").
func (a *API) listGates(w http.ResponseWriter, r *http.Request, rt route) error {
	opts := store.ListOptions{Kind: store.Gates, Parent: store.CanonicalID(rt.fleetID())}
	if f := r.URL.Query().Get("$filter"); f != "" {
		states, err := gateFilter(f)
		if err != nil {
			return err
		}
		opts.States = states
	}
	return a.list(w, r, opts, nil)
}

var stateTerm = regexp.MustCompile(`(?i)^\s*properties/state\s+eq\s+'([A-Za-z]+)'\s*$`)

// gateFilter reads a $filter on gate states.
func gateFilter(f string) ([]string, error) {
	var states []string
	for _, term := range regexp.MustCompile(`(?i)\s+or\s+`).Split(f, -1) {
		m := stateTerm.FindStringSubmatch(term)
		if m == nil {
			return nil, fleet.Invalid("$filter", "%q is not a filter caravan understands: use properties/state eq 'Pending' (or 'Completed', 'Skipped'), several joined by or", f)
		}
		s, ok := gateState(m[1])
		if !ok {
			return nil, fleet.Invalid("$filter", "%q is not a gate state: use Pending, Completed or Skipped", m[1])
		}
		states = append(states, string(s))
	}
	return states, nil
}

func gateState(s string) (fleet.State, bool) {
	for _, st := range []fleet.State{fleet.Pending, fleet.Completed, fleet.Skipped} {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// patchGate completes a gate: {"properties":{"state":"Completed"}} is the
// only change a caller may make. Completing a completed gate changes
// nothing; a skipped gate cannot be completed.
func (a *API) patchGate(w http.ResponseWriter, r *http.Request, rt route) error {
	body, err := a.readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Properties struct {
			State *fleet.State `json:"state"`
		} `json:"properties"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	switch s := in.Properties.State; {
	case s == nil:
		return fleet.Invalid("properties.state", "give the state to set: {\"properties\":{\"state\":\"Completed\"}} approves the gate")
	case *s != fleet.Completed:
		return fleet.Invalid("properties.state", "%q cannot be set: a gate can only be completed, with \"Completed\"", *s)
	}
	ctx := r.Context()
	rec, err := a.load(ctx, store.Gates, rt.childID(), "gate "+rt.name+" of fleet "+rt.fleet)
	if err != nil {
		return err
	}
	cond := precondition(r)
	if cond.IfMatch != "" && cond.IfMatch != "*" && cond.IfMatch != rec.ETag {
		return preconditionError(cond)
	}
	if cond.IfNoneMatch == "*" {
		return preconditionError(cond)
	}
	g, err := store.Decode[fleet.Gate](rec)
	if err != nil {
		return err
	}
	switch g.Properties.State {
	case fleet.Completed:
		respond(w, http.StatusOK, rec)
		return nil
	case fleet.Skipped:
		return fleet.Conflict("gate %s was skipped with the part of update run %s it guarded; there is nothing to approve", rt.name, runName(g.Properties.Target.ID))
	}
	g.Properties.State = fleet.Completed
	g.SystemData = a.stamp(r, g.SystemData)
	out, err := a.save(ctx, store.Gates, g.ID, rt.fleetID(), string(fleet.Completed), g, func(e string) { g.ETag = e }, store.Precondition{IfMatch: rec.ETag})
	if err != nil {
		return err
	}
	if n, ok := a.cfg.Runs.(gateNotifier); ok {
		n.GateCompleted(g.Properties.Target.ID, g.ID)
	}
	respond(w, http.StatusOK, out)
	return nil
}

// runName is the last segment of a resource id.
func runName(id string) string { return id[strings.LastIndex(id, "/")+1:] }
