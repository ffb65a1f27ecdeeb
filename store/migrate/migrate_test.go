package migrate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/caravan-dev/caravan/store/migrate"
)

// recordingTx is a database that remembers which migrations ran.
type recordingTx struct {
	version int
	ran     []int
	failAt  int
}

func (r *recordingTx) Version(context.Context) (int, error) { return r.version, nil }

func (r *recordingTx) Run(_ context.Context, m migrate.Migration) error {
	if m.Version == r.failAt {
		return errors.New("syntax error")
	}
	r.ran = append(r.ran, m.Version)
	r.version = m.Version
	return nil
}

func file(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }

func TestLoadOrdersSteps(t *testing.T) {
	fsys := fstest.MapFS{
		"schema/0002_states.sql":  file("CREATE INDEX b ON t (b);"),
		"schema/0001_records.sql": file("CREATE TABLE t (a, b);"),
		"schema/README":           file("not a migration"),
	}
	steps, err := migrate.Load(fsys, "schema")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Version != 1 || steps[0].Name != "records" || steps[1].Version != 2 || steps[1].Name != "states" {
		t.Fatalf("loaded %+v, want records then states", steps)
	}
	if !strings.Contains(steps[0].SQL, "CREATE TABLE") {
		t.Fatalf("step 1 has SQL %q", steps[0].SQL)
	}
}

func TestLoadRefusesBrokenHistories(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"s/0001_a.sql": file("x"), "s/0003_c.sql": file("x")},
		"repeat":    {"s/0001_a.sql": file("x"), "s/0001_b.sql": file("x")},
		"zero":      {"s/0000_a.sql": file("x")},
		"unnamed":   {"s/0001.sql": file("x")},
		"not a num": {"s/one_a.sql": file("x")},
		"empty":     {"s/0001_a.sql": file("  \n")},
		"none":      {"s/README": file("x")},
	} {
		if steps, err := migrate.Load(fsys, "s"); err == nil {
			t.Errorf("%s: loaded %+v, want an error", name, steps)
		}
	}
}

func steps(n int) []migrate.Migration {
	var out []migrate.Migration
	for v := 1; v <= n; v++ {
		out = append(out, migrate.Migration{Version: v, Name: "step", SQL: "x"})
	}
	return out
}

func TestApplyRunsOnlyNewSteps(t *testing.T) {
	tx := &recordingTx{version: 1}
	if err := migrate.Apply(context.Background(), tx, steps(3)); err != nil {
		t.Fatal(err)
	}
	if len(tx.ran) != 2 || tx.ran[0] != 2 || tx.ran[1] != 3 {
		t.Fatalf("ran steps %v on a version 1 database, want [2 3]", tx.ran)
	}
	tx.ran = nil
	if err := migrate.Apply(context.Background(), tx, steps(3)); err != nil || len(tx.ran) != 0 {
		t.Fatalf("an up-to-date database ran %v (error %v), want nothing", tx.ran, err)
	}
}

func TestApplyRefusesNewerSchema(t *testing.T) {
	err := migrate.Apply(context.Background(), &recordingTx{version: 5}, steps(2))
	var tooNew *migrate.TooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 5 || tooNew.Known != 2 {
		t.Fatalf("got %v, want a TooNewError for version 5 of 2", err)
	}
	want := "the database schema is version 5 but this caravan knows up to 2; upgrade caravan or point it at another database"
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestApplyStopsAtFailedStep(t *testing.T) {
	tx := &recordingTx{failAt: 2}
	err := migrate.Apply(context.Background(), tx, steps(3))
	if err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("got %v, want an error naming version 2", err)
	}
	if len(tx.ran) != 1 {
		t.Fatalf("ran %v after a failed step, want only [1]", tx.ran)
	}
}

func TestApplyRefusesMisnumberedSteps(t *testing.T) {
	bad := []migrate.Migration{{Version: 2, Name: "b", SQL: "x"}}
	if err := migrate.Apply(context.Background(), &recordingTx{}, bad); err == nil {
		t.Fatal("applied a history that starts at version 2")
	}
}
