package api

import (
	"fmt"

	"github.com/caravan-dev/caravan/fleet"
)

// fieldVersion is one row of the version table: a field of one of the
// spec's models and the api-versions that define it, from Since to Until
// (the last version that has it; empty for every version since). A field
// the spec removed and brought back has a row per span. A row with a
// Value names one value of an enum field: requests of versions outside
// its span may not send that value.
//
// Fields not in the table are in every version caravan serves. Adding a
// field that newer versions bring is one row here (and, for a new model,
// one entry in modelPaths); docs/api.md shows the table, and a test keeps
// the two equal.
type fieldVersion struct {
	Model string // the spec's model, such as UpdateStage
	Field string // the JSON name of the field
	Value string // an enum value, or "" for the field itself
	Since string // the first api-version that defines it
	Until string // the last api-version that has it, or ""
	// ReadOnly fields are set by the server only: they are left out of
	// responses of other versions, and never refused in requests (ARM
	// drops read-only fields a client sends back).
	ReadOnly bool
}

var fieldVersions = []fieldVersion{
	{Model: "Fleet", Field: "identity", Since: "2023-06-15-preview"},
	{Model: "FleetProperties", Field: "status", Since: "2025-03-01", ReadOnly: true},
	{Model: "FleetMemberProperties", Field: "labels", Since: "2025-04-01-preview"},
	{Model: "FleetMemberProperties", Field: "status", Since: "2025-03-01", ReadOnly: true},
	{Model: "UpdateRunProperties", Field: "updateStrategyId", Since: "2023-08-15-preview"},
	{Model: "ManagedClusterUpdate", Field: "nodeImageSelection", Since: "2023-06-15-preview"},
	{Model: "ManagedClusterUpgradeSpec", Field: "type", Value: string(fleet.UpgradeControlPlaneOnly), Since: "2024-02-02-preview"},
	{Model: "NodeImageSelection", Field: "type", Value: string(fleet.NodeImageCustom), Since: "2024-05-02-preview"},
	{Model: "NodeImageSelection", Field: "customNodeImageVersions", Since: "2024-05-02-preview"},
	{Model: "UpdateStage", Field: "maxConcurrency", Since: "2026-02-01-preview"},
	{Model: "UpdateStage", Field: "beforeGates", Since: "2025-04-01-preview"},
	{Model: "UpdateStage", Field: "afterGates", Since: "2025-04-01-preview"},
	{Model: "UpdateGroup", Field: "maxConcurrency", Since: "2026-02-01-preview"},
	{Model: "UpdateGroup", Field: "beforeGates", Since: "2025-04-01-preview"},
	{Model: "UpdateGroup", Field: "afterGates", Since: "2025-04-01-preview"},
	{Model: "UpdateRunStatus", Field: "nodeImageSelection", Since: "2023-06-15-preview", ReadOnly: true},
	{Model: "UpdateStageStatus", Field: "maxConcurrency", Since: "2026-02-01-preview", ReadOnly: true},
	{Model: "UpdateGroupStatus", Field: "maxConcurrency", Since: "2026-02-01-preview", ReadOnly: true},
	{Model: "MemberUpdateStatus", Field: "message", Since: "2023-06-15-preview", ReadOnly: true},
	{Model: "AutoUpgradeProfileProperties", Field: "channel", Value: string(fleet.ChannelTargetKubernetesVersion), Since: "2025-04-01-preview"},
	{Model: "AutoUpgradeProfileProperties", Field: "targetKubernetesVersion", Since: "2025-04-01-preview"},
	{Model: "AutoUpgradeProfileProperties", Field: "longTermSupport", Since: "2025-04-01-preview"},
}

// modelPath is where a model sits in a resource's JSON: a dotted path in
// which "name[]" steps into every element of the list "name".
type modelPath struct {
	resource string // the resource's ARM type
	path     string // "" for the resource itself
}

// modelPaths places each model of the version table.
var modelPaths = map[string][]modelPath{
	"Fleet":                     {{fleet.TypeFleet, ""}},
	"FleetProperties":           {{fleet.TypeFleet, "properties"}},
	"FleetMemberProperties":     {{fleet.TypeMember, "properties"}},
	"UpdateRunProperties":       {{fleet.TypeUpdateRun, "properties"}},
	"ManagedClusterUpdate":      {{fleet.TypeUpdateRun, "properties.managedClusterUpdate"}},
	"ManagedClusterUpgradeSpec": {{fleet.TypeUpdateRun, "properties.managedClusterUpdate.upgrade"}},
	"NodeImageSelection":        {{fleet.TypeUpdateRun, "properties.managedClusterUpdate.nodeImageSelection"}},
	"UpdateStage": {
		{fleet.TypeUpdateStrategy, "properties.strategy.stages[]"},
		{fleet.TypeUpdateRun, "properties.strategy.stages[]"},
	},
	"UpdateGroup": {
		{fleet.TypeUpdateStrategy, "properties.strategy.stages[].groups[]"},
		{fleet.TypeUpdateRun, "properties.strategy.stages[].groups[]"},
	},
	"UpdateRunStatus":              {{fleet.TypeUpdateRun, "properties.status"}},
	"AutoUpgradeProfileProperties": {{fleet.TypeAutoUpgradeProfile, "properties"}},
	"UpdateStageStatus":            {{fleet.TypeUpdateRun, "properties.status.stages[]"}},
	"UpdateGroupStatus":            {{fleet.TypeUpdateRun, "properties.status.stages[].groups[]"}},
	"MemberUpdateStatus":           {{fleet.TypeUpdateRun, "properties.status.stages[].groups[].members[]"}},
}

// routeSince is, for kinds of path whose resource type or action came
// after the first served version, the version that brings it (keyed by
// kind, and for actions by kind and action). Older versions answer ARM's
// NoRegisteredProviderFound for them.
var routeSince = map[string]string{
	routeKey(kindStrategies, ""):    "2023-08-15-preview",
	routeKey(kindStrategy, ""):      "2023-08-15-preview",
	routeKey(kindRunAction, "skip"): "2024-02-02-preview",
	routeKey(kindGates, ""):         "2025-04-01-preview",
	routeKey(kindGate, ""):          "2025-04-01-preview",
}

func routeKey(k kind, action string) string { return fmt.Sprint(int(k), "/", action) }

// checkRouteVersion refuses a resource type or action that version v
// does not have.
func checkRouteVersion(rt route, v apiVersion) error {
	since, ok := routeSince[routeKey(rt.kind(), rt.action)]
	if !ok || v >= mustVersion(since) {
		return nil
	}
	what := paths[rt.kind()]
	if rt.action != "" {
		what = ".../updateRuns/{name}/" + rt.action
	}
	return &fleet.Error{Kind: fleet.KindInvalid, Code: "NoRegisteredProviderFound",
		Message: "api-version " + v.String() + " has no " + what + "; it comes with api-version " + since + ": send that api-version or a later one"}
}

// bodyResource is the resource type a request body of each kind of path
// describes, for refusing fields its api-version does not define.
var bodyResource = map[kind]string{
	kindFleet:    fleet.TypeFleet,
	kindMember:   fleet.TypeMember,
	kindStrategy: fleet.TypeUpdateStrategy,
	kindRun:      fleet.TypeUpdateRun,
	kindProfile:  fleet.TypeAutoUpgradeProfile,
}

// span reports whether v lies in the row's versions.
func (f fieldVersion) span(v apiVersion) bool {
	if v < mustVersion(f.Since) {
		return false
	}
	return f.Until == "" || v <= mustVersion(f.Until)
}

// defines reports whether version v defines a model's field (or, with a
// value, that value of it): whether any of its rows' spans holds v.
// Fields not in the table are defined everywhere.
func defines(model, field, value string, v apiVersion) bool {
	found := false
	for _, f := range fieldVersions {
		if f.Model == model && f.Field == field && f.Value == value {
			if f.span(v) {
				return true
			}
			found = true
		}
	}
	return !found
}

// removal is a field that responses of a version leave out.
type removal struct {
	resource, path, field string
}

// removals lists, per version, the fields its responses leave out,
// worked out once from the table.
var removals [][]removal

func init() {
	removals = make([][]removal, len(APIVersions))
	for i := range APIVersions {
		seen := map[removal]bool{}
		for _, f := range fieldVersions {
			if f.Value != "" || defines(f.Model, f.Field, "", apiVersion(i)) {
				continue
			}
			for _, mp := range modelPaths[f.Model] {
				r := removal{mp.resource, mp.path, f.Field}
				if !seen[r] {
					seen[r] = true
					removals[i] = append(removals[i], r)
				}
			}
		}
	}
}

// versionsFor says which versions bring a field v lacks: the first later
// one that has it, or else the last earlier one.
func versionsFor(model, field, value string, v apiVersion) (later, earlier string) {
	for i := range APIVersions {
		w := apiVersion(i)
		if !defines(model, field, value, w) {
			continue
		}
		if w > v && later == "" {
			later = w.String()
		}
		if w < v {
			earlier = w.String()
		}
	}
	return later, earlier
}

// FieldVersion is one row of the version table, for docs/api.md.
type FieldVersion struct {
	Resource, Path, Value, Since, Until string
	ReadOnly                            bool
}

// FieldVersions lists the version table with each field's paths in the
// resources that hold it.
func FieldVersions() []FieldVersion {
	var out []FieldVersion
	for _, f := range fieldVersions {
		for _, mp := range modelPaths[f.Model] {
			out = append(out, FieldVersion{
				Resource: mp.resource, Path: join(mp.path, f.Field),
				Value: f.Value, Since: f.Since, Until: f.Until, ReadOnly: f.ReadOnly,
			})
		}
	}
	return out
}
