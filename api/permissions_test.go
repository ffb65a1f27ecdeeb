package api_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
)

// permissionsTable renders the route table as docs/operations.md shows
// it, one column per role.
func permissionsTable() string {
	var b strings.Builder
	b.WriteString("| method | path | what it does | reader | operator | admin |\n|---|---|---|---|---|---|\n")
	for _, p := range api.Permissions() {
		fmt.Fprintf(&b, "| %s | `%s` | %s |", p.Method, strings.ReplaceAll(p.Path, "|", `\|`), p.Does)
		for _, r := range []auth.Role{auth.Reader, auth.Operator, auth.Admin} {
			if r >= p.Role {
				b.WriteString(" yes |")
			} else {
				b.WriteString(" no |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestPermissionsAreDocumented checks that the security model in
// docs/operations.md shows the route table the server authorizes from.
func TestPermissionsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := permissionsTable(); !strings.Contains(string(doc), want) {
		t.Fatalf("docs/operations.md does not hold the route table; put this in its Security model section:\n\n%s", want)
	}
}
