package auth

import (
	"net/http"
	"strings"
)

// Required returns the role a request needs: reads need reader; creating,
// deleting, starting, stopping and skipping update runs need operator;
// every other change needs admin.
func Required(r *http.Request) Role {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return Reader
	}
	p := strings.ToLower(r.URL.Path)
	if i := strings.Index(p, "/updateruns/"); i >= 0 && strings.Contains(p, "/providers/microsoft.containerservice/fleets/") {
		rest := strings.Trim(p[i+len("/updateruns/"):], "/")
		parts := strings.Split(rest, "/")
		switch {
		case len(parts) == 1 && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
			return Operator
		case len(parts) == 2 && r.Method == http.MethodPost && (parts[1] == "start" || parts[1] == "stop" || parts[1] == "skip"):
			return Operator
		}
	}
	return Admin
}
