package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one step of a schema's history.
type Migration struct {
	// Version numbers the steps 1, 2, 3… with no gaps.
	Version int
	// Name says what the step does; it is recorded with the version.
	Name string
	// SQL is the statements the step runs, separated by semicolons.
	SQL string
}

// Load reads the migrations in dir of fsys: one file per step, named
// NNNN_name.sql where NNNN is the version. Other files are ignored. It
// returns the steps in order, and an error when a version is missing,
// repeated or malformed, or a file is empty.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("error reading schema migrations in %s: %w", dir, err)
	}
	var steps []Migration
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() || !strings.HasSuffix(file, ".sql") {
			continue
		}
		number, name, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil || version < 1 || name == "" {
			return nil, fmt.Errorf("schema migration file %s is not named NNNN_name.sql with NNNN ≥ 1", file)
		}
		text, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("error reading schema migration %s: %w", file, err)
		}
		if strings.TrimSpace(string(text)) == "" {
			return nil, fmt.Errorf("schema migration %s is empty", file)
		}
		steps = append(steps, Migration{Version: version, Name: name, SQL: string(text)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	for i, m := range steps {
		if m.Version != i+1 {
			return nil, fmt.Errorf("schema migrations in %s skip or repeat a version: step %d is numbered %d", dir, i+1, m.Version)
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("no schema migrations in %s", dir)
	}
	return steps, nil
}
