package auth_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/auth"
)

const fleetPath = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f"

func TestRolesAndStatuses(t *testing.T) {
	tokens := auth.NewTokens()
	tokens.Add("r-token", auth.Principal{Name: "viewer", Role: auth.Reader})
	tokens.Add("o-token", auth.Principal{Name: "oncall", Role: auth.Operator})
	tokens.Add("a-token", auth.Principal{Name: "root", Role: auth.Admin})
	var seen string
	// The policy stands in for a server's route table: the role comes
	// from the test case through a header, not from the path.
	policy := func(r *http.Request) (auth.Role, string) {
		role, _ := auth.ParseRole(r.Header.Get("Need"))
		return role, "do the thing"
	}
	h := auth.Middleware(tokens, policy, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		seen = p.Name
	}))
	for _, tc := range []struct {
		need, token string
		want        int
	}{
		{"reader", "", 401},
		{"reader", "wrong", 401},
		{"reader", "r-token", 200},
		{"operator", "r-token", 403},
		{"operator", "o-token", 200},
		{"admin", "o-token", 403},
		{"admin", "r-token", 403},
		{"admin", "a-token", 200},
		{"reader", "a-token", 200},
	} {
		req := httptest.NewRequest("PUT", fleetPath, strings.NewReader("{}"))
		req.Header.Set("Need", tc.need)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		seen = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("need %s with %q: %d, want %d", tc.need, tc.token, rec.Code, tc.want)
		}
		if rec.Code >= 400 {
			if !strings.Contains(rec.Body.String(), `"error":{"code":"Auth`) {
				t.Errorf("error body not in ARM shape: %s", rec.Body)
			}
			if seen != "" {
				t.Errorf("need %s with %q: refused, yet the handler ran", tc.need, tc.token)
			}
			if rec.Header().Get("Connection") != "close" {
				t.Errorf("refused a request with an unread body without closing the connection")
			}
		}
		if rec.Code == 403 && !strings.Contains(rec.Body.String(), "to do the thing needs role "+tc.need) {
			t.Errorf("403 does not say what is needed: %s", rec.Body)
		}
		if strings.Contains(rec.Body.String(), tc.token) && tc.token != "" {
			t.Errorf("response echoes the token: %s", rec.Body)
		}
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.yaml")
	good := "tokens:\n  - name: ci\n    role: operator\n    sha256: " + auth.Hash("s3cret") + "\n"
	os.WriteFile(path, []byte(good), 0o600)
	tokens := auth.NewTokens()
	if err := auth.LoadFile(path, tokens); err != nil {
		t.Fatal(err)
	}
	if p, ok := tokens.Check("s3cret"); !ok || p.Role != auth.Operator || p.Name != "ci" {
		t.Fatalf("check: %+v %v", p, ok)
	}
	for body, want := range map[string]string{
		"tokens:\n  - name: ci\n    role: boss\n    sha256: " + auth.Hash("x") + "\n": "tokens[0].role",
		"tokens:\n  - name: ci\n    role: admin\n    sha256: s3cret\n":                "not a SHA-256",
		"tokens:\n  - role: admin\n    sha256: " + auth.Hash("x") + "\n":              "tokens[0].name is empty",
		"tokens: []\n": "lists no tokens",
		"tokenz: []\n": "not valid",
	} {
		os.WriteFile(path, []byte(body), 0o600)
		err := auth.LoadFile(path, auth.NewTokens())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("file %q: %v, want %q", body, err, want)
		}
	}
}

func TestGeneratedTokenIsKeptPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, path, created, err := auth.EnsureGenerated(dir)
	if err != nil || !created || !strings.HasPrefix(tok, "cvn_") {
		t.Fatalf("generate: %q %v %v", tok, created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", info.Mode().Perm())
	}
	again, _, created, err := auth.EnsureGenerated(dir)
	if err != nil || created || again != tok {
		t.Fatalf("second start: %q %v %v", again, created, err)
	}
	os.Chmod(path, 0o644)
	if _, _, _, err := auth.EnsureGenerated(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable token accepted: %v", err)
	}
}
