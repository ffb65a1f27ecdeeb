package api_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

// Deleting a run removes the claims on clusters it still had in the store
// (left by a server that stopped before it could release them).
func TestDeleteRunReleasesItsClusterClaims(t *testing.T) {
	mem := memory.New()
	ts := newTestServerOn(t, mem)
	ctx := context.Background()
	ts.fleetWithMembers(map[string]string{"a": "one"})
	runs := ts.clients.NewUpdateRunsClient()
	p, err := runs.BeginCreateOrUpdate(ctx, rg, "fleet-1", "r", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeFull), KubernetesVersion: to.Ptr("1.31.2")}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := p.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	runID := store.CanonicalID(*created.ID)
	if _, err := mem.ClaimCluster(ctx, clusterID("a"), runID, 3, []string{"Running"}); err != nil {
		t.Fatal(err)
	}
	del, err := runs.BeginDelete(ctx, rg, "fleet-1", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	left, err := mem.Claims(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("the deleted run still has claims %+v", left)
	}
}
