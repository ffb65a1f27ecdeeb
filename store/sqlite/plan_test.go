package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/store"
)

// The listings caravan runs at scale read an index: the members of a fleet
// and every fleet in id order without sorting, the active runs by state.
func TestListsUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "caravan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, tc := range map[string]struct {
		opts  store.ListOptions
		index string
	}{
		"members of a fleet": {store.ListOptions{Kind: store.Members, Parent: "p", After: "x", Limit: 100}, "caravan_records_by_parent"},
		"every fleet":        {store.ListOptions{Kind: store.Fleets, Limit: 100}, "caravan_records_by_kind"},
		"active runs":        {store.ListOptions{Kind: store.Runs, States: []string{"Running", "Stopping"}}, "caravan_records_by_state"},
	} {
		query, args := listQuery(tc.opts)
		rows, err := s.reader.Query(`EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, "USING INDEX "+tc.index) || (name != "active runs" && strings.Contains(text, "TEMP B-TREE")) {
			t.Errorf("%s: query plan %q does not read %s in order", name, text, tc.index)
		}
	}
}
