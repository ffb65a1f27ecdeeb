package api

import (
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// APIVersions are the Microsoft.ContainerService fleet api-versions caravan
// accepts. Every version gets the same JSON: fields a version does not
// define are ignored by clients of that version.
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
}

// checkAPIVersion checks the api-version query parameter.
func checkAPIVersion(v string) error {
	if v == "" {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "MissingApiVersionParameter",
			Message: "the api-version query parameter is required; use one of " + strings.Join(APIVersions, ", ")}
	}
	if !slices.Contains(APIVersions, strings.ToLower(v)) {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidApiVersionParameter",
			Message: "api-version " + v + " is not supported; use one of " + strings.Join(APIVersions, ", ")}
	}
	return nil
}
