//go:build unix

package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// findBinaries returns the directory holding initdb and postgres.
func findBinaries() (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		if hasServer(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%s=%s holds no initdb and postgres", BinEnv, dir)
	}
	if initdb, err := exec.LookPath("initdb"); err == nil && hasServer(filepath.Dir(initdb)) {
		return filepath.Dir(initdb), nil
	}
	var candidates []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"} {
		dirs, _ := filepath.Glob(pattern)
		// The newest major version first.
		sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
		candidates = append(candidates, dirs...)
	}
	candidates = append(candidates, "/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin")
	for _, dir := range candidates {
		if hasServer(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: the server binaries initdb and postgres are not on PATH nor in /usr/lib/postgresql/*/bin; install them (apt-get install postgresql), set %s to their directory, or set %s to a database the tests may use", errUnavailable, BinEnv, DSNEnv)
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// major reads N from /usr/lib/postgresql/N/bin or /usr/pgsql-N/bin.
func major(dir string) float64 {
	name := filepath.Base(filepath.Dir(dir))
	for i := range name {
		if n, err := strconv.ParseFloat(name[i:], 64); err == nil {
			return n
		}
	}
	return 0
}
