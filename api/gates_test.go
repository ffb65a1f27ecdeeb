package api

import (
	"strings"
	"testing"
)

func TestGateFilter(t *testing.T) {
	for in, want := range map[string]string{
		"properties/state eq 'Pending'":                                  "Pending",
		"Properties/State EQ 'completed'":                                "Completed",
		"properties/state eq 'Pending' or properties/state eq 'Skipped'": "Pending,Skipped",
	} {
		got, err := gateFilter(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("gateFilter(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"state eq 'Pending'":                  `$filter: "state eq 'Pending'" is not a filter caravan understands`,
		"properties/state eq 'Open'":          `$filter: "Open" is not a gate state`,
		"properties/state eq 'Pending' and x": "is not a filter caravan understands",
	} {
		if _, err := gateFilter(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("gateFilter(%q): %v, want %q", in, err, want)
		}
	}
}
