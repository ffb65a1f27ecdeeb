package api

import (
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// APIVersions are the Microsoft.ContainerService fleet api-versions caravan
// serves, oldest first: the order in which Azure published them, which is
// also the order fields are added and removed in (see fieldVersions).
// Each response is shaped for the version its request names.
var APIVersions = []string{
	"2023-03-15-preview",
	"2023-06-15-preview",
	"2023-08-15-preview",
	"2023-10-15",
	"2024-02-02-preview",
	"2024-04-01",
	"2024-05-02-preview",
	"2025-03-01",
	"2025-04-01-preview",
	"2025-08-01-preview",
	"2026-02-01-preview",
	"2026-03-02-preview",
	"2026-05-01-preview",
	"2026-06-01",
	"2026-06-02-preview",
	"2026-11-02-preview",
}

// NewestAPIVersion is the newest api-version caravan serves.
var NewestAPIVersion = APIVersions[len(APIVersions)-1]

// apiVersion is a position in APIVersions; versions compare by it.
type apiVersion int

// versionOf returns a known version's position.
func versionOf(v string) (apiVersion, bool) {
	i := slices.Index(APIVersions, strings.ToLower(v))
	return apiVersion(i), i >= 0
}

// mustVersion is versionOf for the version tables, which name only known
// versions (a test checks that).
func mustVersion(v string) apiVersion {
	i, ok := versionOf(v)
	if !ok {
		panic("api: unknown api-version " + v + " in a version table")
	}
	return i
}

func (v apiVersion) String() string { return APIVersions[v] }

// checkAPIVersion checks the api-version query parameter and returns the
// version. An unknown one is ARM's NoRegisteredProviderFound, which lists
// the versions that are served.
func checkAPIVersion(v string) (apiVersion, error) {
	if v == "" {
		return 0, &fleet.Error{Kind: fleet.KindInvalid, Code: "MissingApiVersionParameter",
			Message: "the api-version query parameter is required; use one of " + strings.Join(APIVersions, ", ")}
	}
	ver, ok := versionOf(v)
	if !ok {
		return 0, &fleet.Error{Kind: fleet.KindInvalid, Code: "NoRegisteredProviderFound",
			Message: "no registered resource provider found for API version '" + v + "' and type 'fleets' of namespace 'Microsoft.ContainerService'; the supported api-versions are '" + strings.Join(APIVersions, ", ") + "'"}
	}
	return ver, nil
}
