package api

import (
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/auth"
)

// kind is a sort of path in the route table.
type kind int

const (
	kindFleetsInSubscription kind = iota + 1
	kindFleetsInGroup
	kindFleet
	kindFleetCredentials
	kindMembers
	kindMember
	kindStrategies
	kindStrategy
	kindRuns
	kindRun
	kindRunAction
	kindRunPlan
	kindRunEvents
	kindProviderOperations
	kindProfiles
	kindProfile
	kindProfileGenerate
	kindGates
	kindGate
)

// paths spells each kind of path, for messages and the documentation.
var paths = map[kind]string{
	kindFleetsInSubscription: "/subscriptions/{s}/providers/Microsoft.ContainerService/fleets",
	kindFleetsInGroup:        "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/fleets",
	kindFleet:                ".../fleets/{fleet}",
	kindFleetCredentials:     ".../fleets/{fleet}/listCredentials",
	kindMembers:              ".../fleets/{fleet}/members",
	kindMember:               ".../fleets/{fleet}/members/{name}",
	kindStrategies:           ".../fleets/{fleet}/updateStrategies",
	kindStrategy:             ".../fleets/{fleet}/updateStrategies/{name}",
	kindRuns:                 ".../fleets/{fleet}/updateRuns",
	kindRun:                  ".../fleets/{fleet}/updateRuns/{name}",
	kindRunAction:            ".../fleets/{fleet}/updateRuns/{name}/{start|stop|skip}",
	kindRunPlan:              ".../fleets/{fleet}/updateRuns/{name}/plan",
	kindRunEvents:            ".../fleets/{fleet}/updateRuns/{name}/events",
	kindProviderOperations:   "/providers/Microsoft.ContainerService/operations",
	kindProfiles:             ".../fleets/{fleet}/autoUpgradeProfiles",
	kindProfile:              ".../fleets/{fleet}/autoUpgradeProfiles/{name}",
	kindProfileGenerate:      ".../fleets/{fleet}/autoUpgradeProfiles/{name}/generateUpdateRun",
	kindGates:                ".../fleets/{fleet}/gates",
	kindGate:                 ".../fleets/{fleet}/gates/{name}",
}

// operation is what one method does on one kind of path, and the role a
// caller needs for it. The table below is the whole of the API: the
// router dispatches from it and the server authorizes from it, so a
// request can only ever need the role of the operation it performs.
type operation struct {
	kind   kind
	method string
	role   auth.Role
	what   string
	serve  func(*API, http.ResponseWriter, *http.Request, route) error
}

var operations = []operation{
	{kindFleetsInSubscription, http.MethodGet, auth.Reader, "list the fleets of a subscription", (*API).listFleets},
	{kindFleetsInGroup, http.MethodGet, auth.Reader, "list the fleets of a resource group", (*API).listFleets},
	{kindFleet, http.MethodGet, auth.Reader, "read a fleet", (*API).getFleet},
	{kindFleet, http.MethodPut, auth.Admin, "create or replace a fleet", (*API).putFleet},
	{kindFleet, http.MethodPatch, auth.Admin, "change a fleet's tags", (*API).patchFleet},
	{kindFleet, http.MethodDelete, auth.Admin, "delete a fleet with its members, strategies and runs", (*API).deleteFleet},
	{kindFleetCredentials, http.MethodPost, auth.Admin, "list a fleet's hub credentials (caravan has none)", (*API).listCredentials},
	{kindMembers, http.MethodGet, auth.Reader, "list a fleet's members", (*API).listChildren},
	{kindMember, http.MethodGet, auth.Reader, "read a member", (*API).getMember},
	{kindMember, http.MethodPut, auth.Admin, "add a cluster to a fleet, or replace a member", (*API).putMember},
	{kindMember, http.MethodPatch, auth.Admin, "change a member's group or labels", (*API).patchMember},
	{kindMember, http.MethodDelete, auth.Admin, "remove a member from its fleet", (*API).deleteMember},
	{kindStrategies, http.MethodGet, auth.Reader, "list a fleet's update strategies", (*API).listChildren},
	{kindStrategy, http.MethodGet, auth.Reader, "read an update strategy", (*API).getStrategy},
	{kindStrategy, http.MethodPut, auth.Admin, "create or replace an update strategy", (*API).putStrategy},
	{kindStrategy, http.MethodDelete, auth.Admin, "delete an update strategy", (*API).deleteStrategy},
	{kindRuns, http.MethodGet, auth.Reader, "list a fleet's update runs", (*API).listChildren},
	{kindRun, http.MethodGet, auth.Reader, "read an update run", (*API).getRun},
	{kindRun, http.MethodPut, auth.Operator, "create an update run, or change one that has not started", (*API).putRun},
	{kindRun, http.MethodDelete, auth.Operator, "delete an update run that is not in progress", (*API).deleteRun},
	{kindRunAction, http.MethodPost, auth.Operator, "start, stop or skip parts of an update run", (*API).runAction},
	{kindRunPlan, http.MethodGet, auth.Reader, "read what an update run will do, member by member", (*API).getPlan},
	{kindRunEvents, http.MethodGet, auth.Reader, "list the events of an update run", (*API).listEvents},
	{kindProviderOperations, http.MethodGet, auth.Reader, "list the operations of the Fleet API", (*API).listOperations},
	{kindProfiles, http.MethodGet, auth.Reader, "list a fleet's auto-upgrade profiles", (*API).listChildren},
	{kindProfile, http.MethodGet, auth.Reader, "read an auto-upgrade profile", (*API).getProfile},
	{kindProfile, http.MethodPut, auth.Admin, "create or replace an auto-upgrade profile", (*API).putProfile},
	{kindProfile, http.MethodDelete, auth.Admin, "delete an auto-upgrade profile; its runs stay", (*API).deleteProfile},
	{kindProfileGenerate, http.MethodPost, auth.Operator, "create (not start) an update run from an auto-upgrade profile's channel", (*API).generateUpdateRun},
	{kindGates, http.MethodGet, auth.Reader, "list a fleet's gates, optionally by state", (*API).listGates},
	{kindGate, http.MethodGet, auth.Reader, "read a gate", (*API).getGate},
	{kindGate, http.MethodPatch, auth.Operator, "complete (approve) a gate", (*API).patchGate},
}

// lookup returns the operation of a method on a kind of path, or nil.
func lookup(k kind, method string) *operation {
	for i := range operations {
		if operations[i].kind == k && operations[i].method == method {
			return &operations[i]
		}
	}
	return nil
}

// allowed lists the methods a kind of path accepts.
func allowed(k kind) string {
	var out []string
	for _, op := range operations {
		if op.kind == k {
			out = append(out, op.method)
		}
	}
	return strings.Join(out, ", ")
}

// Permission is one row of the route table: a method on a path, what it
// does and the least role that may do it.
type Permission struct {
	Method, Path, Does string
	Role               auth.Role
}

// Permissions lists the route table, in the order the API documents it.
func Permissions() []Permission {
	out := make([]Permission, 0, len(operations))
	for _, op := range operations {
		out = append(out, Permission{Method: op.method, Path: paths[op.kind], Does: op.what, Role: op.role})
	}
	return out
}
