package verify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
	"github.com/caravan-dev/caravan/store/verify"
)

const fleetID = "/subscriptions/s/resourcegroups/g/providers/microsoft.containerservice/fleets/f"

func put(t *testing.T, s store.Store, kind store.Kind, id, parent, state string, v any) {
	t.Helper()
	rec, err := store.NewRecord(kind, id, parent, "e", state, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

func TestStoreReportsEachProblemByID(t *testing.T) {
	s := memory.New()
	put(t, s, store.Fleets, fleetID, "/subscriptions/s/resourcegroups/g", "", fleet.Fleet{ID: fleetID, Name: "f", Location: "eastus"})
	good := fleet.UpdateRun{ID: fleetID + "/updateruns/good", Name: "good", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{Status: fleet.UpdateStatus{State: fleet.Completed}}}}
	put(t, s, store.Runs, good.ID, fleetID, "Completed", good)
	// Listed as Running, but its status says NotStarted.
	split := fleet.UpdateRun{ID: fleetID + "/updateruns/split", Name: "split", Properties: fleet.UpdateRunProperties{Status: &fleet.RunStatus{Status: fleet.UpdateStatus{State: fleet.NotStarted}}}}
	put(t, s, store.Runs, split.ID, fleetID, "Running", split)
	// Stored under another name than its document says.
	moved := fleet.UpdateStrategy{ID: fleetID + "/updatestrategies/other", Name: "other", Properties: fleet.UpdateStrategyProperties{Strategy: fleet.RunStrategy{Stages: []fleet.Stage{{Name: "s", Groups: []fleet.Group{{Name: "g"}}}}}}}
	put(t, s, store.Strategies, fleetID+"/updatestrategies/s1", fleetID, "", moved)
	// A strategy whose stages do not validate.
	bad := fleet.UpdateStrategy{ID: fleetID + "/updatestrategies/bad", Name: "bad", Properties: fleet.UpdateStrategyProperties{Strategy: fleet.RunStrategy{Stages: []fleet.Stage{{Name: "s"}, {Name: "s"}}}}}
	put(t, s, store.Strategies, bad.ID, fleetID, "", bad)

	rep, err := verify.Store(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range rep.Problems {
		lines = append(lines, p.String())
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"update run " + fleetID + "/updateruns/split: it is not valid: it is stored as Running but its status says NotStarted",
		"update strategy " + fleetID + "/updatestrategies/s1: its body has id",
		"update strategy " + fleetID + "/updatestrategies/bad: it is not valid: properties.strategy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems do not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/updateruns/good") {
		t.Errorf("a sound run is reported:\n%s", text)
	}
	if got := rep.Summary(); got != "1 fleet, 0 members, 2 update strategies, 2 update runs" {
		t.Errorf("summary %q", got)
	}
}
