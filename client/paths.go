package client

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// Collections under a fleet, as they appear in ARM paths.
const (
	collMembers    = "members"
	collStrategies = "updateStrategies"
	collRuns       = "updateRuns"
	collProfiles   = "autoUpgradeProfiles"
	collGates      = "gates"
)

func fleetPath(r fleet.FleetRef) string {
	return "/subscriptions/" + url.PathEscape(r.Subscription) +
		"/resourceGroups/" + url.PathEscape(r.ResourceGroup) +
		"/providers/Microsoft.ContainerService/fleets/" + url.PathEscape(r.Fleet)
}

func childPath(r fleet.FleetRef, coll, name string) string {
	return fleetPath(r) + "/" + coll + "/" + url.PathEscape(name)
}

// NameError is a name the client refuses to put in a path: not a valid
// name for its kind of resource. Nothing is sent.
type NameError struct {
	// What is the kind of resource: fleet, member, update strategy,
	// update run, resource group or subscription.
	What string
	Name string
	// Rule says what is allowed.
	Rule string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%q is not a valid %s name: %s", e.Name, e.What, e.Rule)
}

// collNouns names the resources of each collection.
var collNouns = map[string]string{collMembers: "member", collStrategies: "update strategy", collRuns: "update run", collProfiles: "auto-upgrade profile", collGates: "gate"}

// CheckName checks a fleet's name (what "fleet") or a fleet child's
// (member, update strategy, update run) as Azure sets them: lower-case
// letters, digits and inner dashes, 1 to 63 characters for a fleet and
// 1 to 50 for the others.
func CheckName(what, name string) error {
	max := fleet.MaxNameLength
	if what == "fleet" {
		max = fleet.MaxFleetNameLength
	}
	if fleet.ValidateName("name", name, max) != nil {
		return &NameError{What: what, Name: name, Rule: fmt.Sprintf("use 1 to %d lower-case letters, digits and dashes, starting and ending with a letter or digit", max)}
	}
	return nil
}

// CheckScope checks a subscription id or resource group name (what says
// which): 1 to 90 characters, none of them a slash, backslash, percent
// sign, space or control character, not ending in a period (so never "."
// or "..").
func CheckScope(what, name string) error {
	bad := name == "" || len(name) > 90 || strings.HasSuffix(name, ".") ||
		strings.ContainsAny(name, `/\%?#`) ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' })
	if bad {
		return &NameError{What: what, Name: name, Rule: "use 1 to 90 letters, digits, dashes, underscores, periods and parentheses, not ending in a period"}
	}
	return nil
}

// checkPath refuses to send a request whose path is not canonical (an
// empty, "." or ".." segment, or an encoded slash): a server that
// cleaned it would act on another resource than the one named.
func checkPath(u *url.URL) error {
	p := u.EscapedPath()
	low := strings.ToLower(p)
	if strings.Contains(low, "%2f") || strings.Contains(low, "%5c") {
		return fmt.Errorf("refusing to send a request to %s: its path holds an encoded slash", p)
	}
	for _, seg := range strings.Split(strings.TrimPrefix(u.Path, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("refusing to send a request to %s: its path has an empty, . or .. segment", p)
		}
	}
	return nil
}
