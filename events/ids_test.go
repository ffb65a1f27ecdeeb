package events

import (
	"testing"
	"time"
)

// Event ids sort by the time they were made, and never repeat.
func TestOrderedIDs(t *testing.T) {
	base := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := orderedID(base.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 32 || seen[id] {
			t.Fatalf("id %q: want 32 hex digits, never repeated", id)
		}
		if id <= prev {
			t.Fatalf("id %q made after %q sorts before it", id, prev)
		}
		seen[id], prev = true, id
	}
	// Within one millisecond ids still differ.
	if orderedID(base) == orderedID(base) {
		t.Fatal("two ids made in one millisecond are equal")
	}
}
