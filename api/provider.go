package api

import (
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// armAction names, for a kind of path, the ARM resource type its
// operations act on and, for a POST, the action's name. Kinds without an
// entry are caravan's own (such as a run's plan and events) and are not in ARM's
// operations list.
var armAction = map[kind]struct{ resource, action string }{
	kindFleetsInSubscription: {fleet.TypeFleet, ""},
	kindFleetsInGroup:        {fleet.TypeFleet, ""},
	kindFleet:                {fleet.TypeFleet, ""},
	kindFleetCredentials:     {fleet.TypeFleet, "listCredentials"},
	kindMembers:              {fleet.TypeMember, ""},
	kindMember:               {fleet.TypeMember, ""},
	kindStrategies:           {fleet.TypeUpdateStrategy, ""},
	kindStrategy:             {fleet.TypeUpdateStrategy, ""},
	kindRuns:                 {fleet.TypeUpdateRun, ""},
	kindRun:                  {fleet.TypeUpdateRun, ""},
	kindRunAction:            {fleet.TypeUpdateRun, "{start|stop|skip}"},
	kindProviderOperations:   {"Microsoft.ContainerService/operations", ""},
	kindProfiles:             {fleet.TypeAutoUpgradeProfile, ""},
	kindProfile:              {fleet.TypeAutoUpgradeProfile, ""},
	kindProfileGenerate:      {fleet.TypeAutoUpgradeProfile, "generateUpdateRun"},
	kindGates:                {fleet.TypeGate, ""},
	kindGate:                 {fleet.TypeGate, ""},
}

// providerOperation is one entry of ARM's operations list.
type providerOperation struct {
	Name         string                 `json:"name"`
	IsDataAction bool                   `json:"isDataAction"`
	Display      providerOperationShown `json:"display"`
	Origin       string                 `json:"origin"`
}

type providerOperationShown struct {
	Provider    string `json:"provider"`
	Resource    string `json:"resource"`
	Operation   string `json:"operation"`
	Description string `json:"description"`
}

// ProviderOperations is ARM's operations list for the resource types
// caravan serves, made from the route table: one entry per permission
// (read, write, delete, or an action), described by the first route that
// needs it.
func ProviderOperations() []providerOperation {
	var out []providerOperation
	seen := map[string]bool{}
	add := func(name, resource, what string) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, providerOperation{
			Name: name,
			Display: providerOperationShown{
				Provider: "Microsoft Container Service", Resource: resource,
				Operation: name, Description: strings.ToUpper(what[:1]) + what[1:],
			},
			Origin: "user,system",
		})
	}
	for _, op := range operations {
		aa, ok := armAction[op.kind]
		if !ok {
			continue
		}
		short := aa.resource[strings.LastIndex(aa.resource, "/")+1:]
		switch {
		case aa.action == "{start|stop|skip}":
			for _, a := range []string{"start", "stop", "skip"} {
				add(aa.resource+"/"+a+"/action", short, a+" an update run")
			}
		case aa.action != "":
			add(aa.resource+"/"+aa.action+"/action", short, op.what)
		case op.method == http.MethodGet:
			add(aa.resource+"/read", short, op.what)
		case op.method == http.MethodDelete:
			add(aa.resource+"/delete", short, op.what)
		default:
			add(aa.resource+"/write", short, op.what)
		}
	}
	return out
}

// providerOperations is the list listOperations answers, made once the
// route table exists (the table refers to listOperations).
var providerOperations []providerOperation

func init() { providerOperations = ProviderOperations() }

// listOperations answers ARM's operations list of the provider.
func (a *API) listOperations(w http.ResponseWriter, r *http.Request, _ route) error {
	writeJSON(w, http.StatusOK, map[string]any{"value": providerOperations})
	return nil
}
