package engine_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// An active run whose stored document cannot be read, whether it does not
// decode or decodes into no run the engine can drive, is marked Failed at
// start, with the reason and the document kept; a readable run beside it
// is untouched.
func TestStartMarksUnreadableActiveRunsFailed(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	ref := fleet.FleetRef{Subscription: "sub-1", ResourceGroup: "rg-1", Fleet: "fleet-1"}
	putFleet(t, s, ref)
	bodies := map[string]string{
		"garbled":   "{\"properties\":\xff",
		"null":      "null",
		"no-status": `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"}}}}`,
		"bad-k8s":   `{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"one"}},"status":{"status":{"state":"Running"},"stages":[]}}}`,
	}
	for name, body := range bodies {
		rec := store.Record{Kind: store.Runs, ID: store.CanonicalID(ref.Child("updateRuns", name)), Parent: store.CanonicalID(ref.ID()), ETag: "e1", State: "Running", Body: []byte(body)}
		if err := s.Put(ctx, rec, store.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	damage := &store.Damage{}
	eng, err := engine.New(engine.Config{Store: s, Provider: fake.New(), Damage: damage})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for name, body := range bodies {
		id := store.CanonicalID(ref.Child("updateRuns", name))
		run, rec, err := store.Load[fleet.UpdateRun](ctx, s, store.Runs, id)
		if err != nil {
			t.Fatalf("%s: reading the marked run: %v", name, err)
		}
		st := run.Properties.Status
		if rec.State != "Failed" || st == nil || st.Status.State != fleet.Failed || st.Status.Error == nil || st.Status.Error.Code != engine.CodeStoredRunUnreadable {
			t.Fatalf("%s: after start the run is stored as %s with status %+v; want Failed, %s", name, rec.State, st, engine.CodeStoredRunUnreadable)
		}
		if msg := st.Status.Error.Message; !strings.Contains(msg, "was Running") || !strings.Contains(msg, "in-memory store") {
			t.Errorf("%s: the error says %q; want what the run was and where", name, msg)
		}
		if d := st.Status.Error.Details; len(d) != 1 || d[0].Message != base64.StdEncoding.EncodeToString([]byte(body)) {
			t.Errorf("%s: the unreadable document is not kept in the error's details: %+v", name, d)
		}
		// It cannot be started again.
		var fe *fleet.Error
		if _, err := eng.StartRun(ctx, id, ""); !errors.As(err, &fe) || fe.Kind != fleet.KindConflict {
			t.Errorf("%s: starting the marked run: %v; want a conflict", name, err)
		}
	}
	if err := damage.Err(); err == nil || !strings.Contains(err.Error(), "4 stored records do not decode") {
		t.Fatalf("damage reports %v; want the 4 runs", err)
	}
}
