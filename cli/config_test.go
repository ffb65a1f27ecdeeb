package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/auth"
)

// TestLoginAndPrecedence logs in, checks the config file is private and
// used, and that the environment and flags override it.
func TestLoginAndPrecedence(t *testing.T) {
	ts := startServer(t)
	ts.run("fleet", "create", "-g", "rg", "-n", "f1", "-l", "eastus").ok(t)
	cfgPath := filepath.Join(t.TempDir(), "caravan", "config.yaml")
	bare := map[string]string{"CARAVAN_CONFIG": cfgPath}

	// Without a token nothing works, and the message says how to fix it.
	if r := runWith(t, bare, "fleet", "list"); r.code != ExitUsage || !strings.Contains(r.stderr, "caravan login") {
		t.Fatalf("no token: %d %s", r.code, r.stderr)
	}
	// A wrong token is refused and nothing is saved.
	if r := runWith(t, bare, "login", "--server", ts.srv.URL, "--token", "wrong"); r.code != ExitError {
		t.Fatalf("login with a wrong token: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(cfgPath); err == nil {
		t.Fatal("a refused login wrote the config file")
	}
	runWith(t, bare, "login", "--server", ts.srv.URL, "--token", testToken, "--resource-group", "rg").ok(t)
	info, err := os.Stat(cfgPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v", err, info.Mode().Perm())
	}
	if r := runWith(t, bare, "fleet", "list").ok(t); !strings.Contains(r.stdout, "f1    rg") {
		t.Errorf("with the config file: %s", r.stdout)
	}
	// The environment beats the config file, and a flag beats both.
	env := map[string]string{"CARAVAN_CONFIG": cfgPath, "CARAVAN_TOKEN": "wrong"}
	if r := runWith(t, env, "fleet", "list"); r.code != ExitError || !strings.Contains(r.stderr, "refused the token") {
		t.Errorf("env token did not win: %d %s", r.code, r.stderr)
	}
	runWith(t, env, "fleet", "list", "--token", testToken).ok(t)
	env = map[string]string{"CARAVAN_CONFIG": cfgPath, "CARAVAN_RESOURCE_GROUP": "other"}
	if r := runWith(t, env, "fleet", "list").ok(t); !strings.Contains(r.stdout, "No fleets in resource group other") {
		t.Errorf("env resource group did not win: %s", r.stdout)
	}
	if r := runWith(t, env, "fleet", "list", "-g", "rg").ok(t); !strings.Contains(r.stdout, "f1") {
		t.Errorf("flag resource group did not win: %s", r.stdout)
	}
	if r := runWith(t, map[string]string{"CARAVAN_CONFIG": cfgPath, "CARAVAN_ADDR": "http://127.0.0.1:1"}, "fleet", "list"); r.code != ExitError || !strings.Contains(r.stderr, "cannot reach caravan at http://127.0.0.1:1") {
		t.Errorf("env address did not win: %s", r.stderr)
	}

	// login --token-file saves the file's path, not the token.
	tokenFile := writeFile(t, "admin-token", testToken+"\n")
	runWith(t, bare, "login", "--server", ts.srv.URL, "--token-file", tokenFile).ok(t)
	data, _ := os.ReadFile(cfgPath)
	if strings.Contains(string(data), testToken) || !strings.Contains(string(data), "tokenFile: "+tokenFile) {
		t.Errorf("config file:\n%s", data)
	}
	runWith(t, bare, "fleet", "show", "-g", "rg", "-n", "f1").ok(t)
}

func TestTokenCommands(t *testing.T) {
	r := runWith(t, nil, "token", "generate", "--name", "ci", "--role", "Operator").ok(t)
	var token, hash string
	for _, line := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "token:  "); ok {
			token = v
		}
		if v, ok := strings.CutPrefix(line, "sha256: "); ok {
			hash = v
		}
	}
	if !strings.HasPrefix(token, "cvn_") || hash != auth.Hash(token) || !strings.Contains(r.stdout, "  - name: ci\n    role: operator\n    sha256: "+hash) {
		t.Fatalf("generate printed:\n%s", r.stdout)
	}
	// The entry it prints is a valid token file.
	path := writeFile(t, "tokens.yaml", r.stdout[strings.Index(r.stdout, "tokens:"):])
	tokens := auth.NewTokens()
	if err := auth.LoadFile(path, tokens); err != nil {
		t.Fatal(err)
	}
	if p, ok := tokens.Check(token); !ok || p.Role != auth.Operator {
		t.Fatalf("the generated entry does not admit the token: %+v %v", p, ok)
	}
	if h := runWith(t, nil, "token", "hash", token).ok(t).stdout; h != hash+"\n" {
		t.Errorf("hash printed %q", h)
	}
	if r := runWith(t, nil, "token", "generate", "--role", "boss"); r.code != ExitUsage {
		t.Errorf("bad role: %d", r.code)
	}
	if r := runWith(t, nil, "token", "hash"); r.code != ExitUsage {
		t.Errorf("hash without a token: %d", r.code)
	}
}
