package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// File is a token file: YAML or JSON, listing each caller's name, role
// and the SHA-256 of its token (`caravan token hash` prints it):
//
//	tokens:
//	  - name: ci
//	    role: operator
//	    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
type File struct {
	Tokens []FileEntry `json:"tokens"`
}

// FileEntry is one caller in a token file.
type FileEntry struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	SHA256 string `json:"sha256"`
}

var hexHash = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// LoadFile reads a token file into tokens. Errors name the entry and the
// field that is wrong.
func LoadFile(path string, tokens *Tokens) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("error reading token file: %w", err)
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return fmt.Errorf("token file %s is not valid: %w", path, err)
	}
	if len(f.Tokens) == 0 {
		return fmt.Errorf("token file %s lists no tokens; add entries under tokens:", path)
	}
	for i, e := range f.Tokens {
		where := fmt.Sprintf("token file %s: tokens[%d]", path, i)
		if strings.TrimSpace(e.Name) == "" {
			return fmt.Errorf("%s.name is empty; give each caller a name", where)
		}
		role, err := ParseRole(e.Role)
		if err != nil {
			return fmt.Errorf("%s.role: %w", where, err)
		}
		if !hexHash.MatchString(e.SHA256) {
			return fmt.Errorf("%s.sha256 is not a SHA-256 hex digest; store `caravan token hash <token>`, never the token itself", where)
		}
		tokens.AddHash(e.SHA256, Principal{Name: e.Name, Role: role})
	}
	return nil
}

// GeneratedTokenFile is where serve keeps the admin token it generates.
const GeneratedTokenFile = "admin-token"

// EnsureGenerated returns the admin token kept in dir, generating and
// writing it (mode 0600) the first time. created reports a new token.
func EnsureGenerated(dir string) (token, path string, created bool, err error) {
	path = filepath.Join(dir, GeneratedTokenFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(data))
		if token == "" {
			return "", path, false, fmt.Errorf("%s is empty; delete it to generate a new token", path)
		}
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
			return "", path, false, fmt.Errorf("%s can be read by others (mode %v); run chmod 600 %s", path, info.Mode().Perm(), path)
		}
		return token, path, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", path, false, fmt.Errorf("error reading %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", path, false, fmt.Errorf("error creating %s: %w", dir, err)
	}
	token = NewToken()
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", path, false, fmt.Errorf("error writing %s: %w", path, err)
	}
	return token, path, true, nil
}
