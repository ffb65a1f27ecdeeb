package pgtest

import "testing"

func TestWithSearchPath(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h:5432/db?sslmode=disable":      "postgres://u@h:5432/db?search_path=s1&sslmode=disable",
		"postgresql://u@h/db":                         "postgresql://u@h/db?search_path=s1",
		"postgres://u@h/db?search_path=other":         "postgres://u@h/db?search_path=s1",
		"host=h user=u dbname=db":                     "host=h user=u dbname=db search_path=s1",
		" host=/tmp/sock dbname=db sslmode=disable  ": "host=/tmp/sock dbname=db sslmode=disable search_path=s1",
	} {
		got, err := withSearchPath(dsn, "s1")
		if err != nil || got != want {
			t.Errorf("withSearchPath(%q) = %q, %v; want %q", dsn, got, err, want)
		}
	}
}
