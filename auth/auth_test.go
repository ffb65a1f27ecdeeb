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
	h := auth.Middleware(tokens, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		seen = p.Name
	}))
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", fleetPath, "", 401},
		{"GET", fleetPath, "wrong", 401},
		{"GET", fleetPath, "r-token", 200},
		{"PUT", fleetPath, "r-token", 403},
		{"PUT", fleetPath + "/updateRuns/r1", "r-token", 403},
		{"PUT", fleetPath + "/updateRuns/r1", "o-token", 200},
		{"POST", fleetPath + "/updateRuns/r1/skip", "o-token", 200},
		{"DELETE", fleetPath + "/updateRuns/r1", "o-token", 200},
		{"PUT", fleetPath + "/members/m1", "o-token", 403},
		{"DELETE", fleetPath, "o-token", 403},
		{"PUT", fleetPath + "/members/m1", "a-token", 200},
		{"DELETE", fleetPath, "a-token", 200},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.token, rec.Code, tc.want)
		}
		if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error":{"code":"Auth`) {
			t.Errorf("error body not in ARM shape: %s", rec.Body)
		}
		if strings.Contains(rec.Body.String(), tc.token) && tc.token != "" {
			t.Errorf("response echoes the token: %s", rec.Body)
		}
	}
	if seen != "root" {
		t.Fatalf("last caller seen as %q", seen)
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
