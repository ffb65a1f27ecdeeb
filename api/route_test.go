package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
)

const fleets = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets"

// TestCheckPath lists what a canonical path is.
func TestCheckPath(t *testing.T) {
	for target, ok := range map[string]bool{
		fleets + "/f1":                     true,
		"/":                                true,
		strings.ToUpper(fleets) + "/f1":    true,
		fleets + "/%66%31":                 true, // f1, percent-encoded
		fleets + "/f1/":                    false,
		fleets + "//f1":                    false,
		"//subscriptions/s":                false,
		fleets + "/./f1":                   false,
		fleets + "/f1/members/..":          false,
		fleets + "/f1/members/%2e%2E":      false,
		fleets + "/f1%2Fmembers%2Fm1":      false,
		fleets + "/f1%2fmembers":           false,
		fleets + "/f1%5Cmembers":           false,
		fleets + "/f%00":                   false,
		fleets + "/f%0A1":                  false,
		"/subscriptions/s/resourceGroups/": false,
	} {
		r := httptest.NewRequest("GET", target, nil)
		err := api.CheckPath(r)
		if (err == nil) != ok {
			t.Errorf("%s: %v; want canonical=%v", target, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "is not canonical") {
			t.Errorf("%s: %v does not say what is wrong", target, err)
		}
	}
}

// TestRoleComesFromTheMatchedRoute checks the role of requests whose
// names are also keywords, in any case: it is the role of the operation
// the router matched, never a guess from words in the path.
func TestRoleComesFromTheMatchedRoute(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         auth.Role
	}{
		{"PUT", fleets + "/updateruns", auth.Admin},
		{"DELETE", fleets + "/updateruns", auth.Admin},
		{"PUT", fleets + "/updateruns/members/updateruns", auth.Admin},
		{"PUT", fleets + "/f/members/updateruns", auth.Admin},
		{"DELETE", fleets + "/f/updateStrategies/updateruns", auth.Admin},
		{"PUT", fleets + "/f/updateRuns/r", auth.Operator},
		{"PUT", strings.ToUpper(fleets + "/f/updateRuns/r"), auth.Operator},
		{"POST", fleets + "/f/updateRuns/r/START", auth.Operator},
		{"POST", fleets + "/f/updateRuns/members/skip", auth.Operator},
		{"POST", fleets + "/f/listCredentials", auth.Admin},
		{"GET", fleets + "/f/updateRuns/r", auth.Reader},
		{"PATCH", fleets + "/f/updateRuns/r", auth.Reader},   // 405: does nothing
		{"PUT", fleets + "/f/updateRuns/r/x/y", auth.Reader}, // 404: does nothing
		{"POST", fleets + "/f/members/m/start", auth.Reader}, // 404: does nothing
	} {
		m, ok := api.Match(httptest.NewRequest(tc.method, tc.path, nil))
		if !ok || m.Role() != tc.want {
			t.Errorf("%s %s: owned %v, role %s; want %s", tc.method, tc.path, ok, m.Role(), tc.want)
		}
	}
}
