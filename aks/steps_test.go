package aks

import (
	"encoding/json"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

func TestClusterUpdate(t *testing.T) {
	read := armcontainerservice.ManagedCluster{
		ETag: to.Ptr(`"7"`),
		Properties: &armcontainerservice.ManagedClusterProperties{
			KubernetesVersion:        to.Ptr("1.30.5"),
			CurrentKubernetesVersion: to.Ptr("1.30.5"),
			ProvisioningState:        to.Ptr("Succeeded"),
			AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{
				{Name: to.Ptr("sys"), OrchestratorVersion: to.Ptr("1.30"), CurrentOrchestratorVersion: to.Ptr("1.30.5"),
					NodeImageVersion: to.Ptr(ubuntuV1), ETag: to.Ptr(`"3"`), Count: to.Ptr[int32](3)},
				{Name: to.Ptr("user"), OrchestratorVersion: to.Ptr("1.29.9"), CurrentOrchestratorVersion: to.Ptr("1.29.9"),
					NodeImageVersion: to.Ptr(azlV1)},
			},
		},
	}
	tests := []struct {
		kind  stepKind
		pools []string // each pool's orchestratorVersion in the body
	}{
		{stepControlPlane, []string{"1.30.5", "1.29.9"}},
		{stepClusterUpgrade, []string{"1.31.4", "1.31.4"}},
	}
	raw, err := json.Marshal(map[string]any{"id": "/x", "location": "eastus", "eTag": read.ETag, "systemData": map[string]any{"createdBy": "someone"},
		"properties": json.RawMessage(mustJSON(t, read.Properties)), "futureField": map[string]any{"kept": true}})
	if err != nil {
		t.Fatal(err)
	}
	asRead := string(raw)
	for _, tt := range tests {
		s := step{kind: tt.kind, version: "1.31.4"}
		out, err := clusterUpdate(raw, s)
		if err != nil {
			t.Fatal(err)
		}
		var body armcontainerservice.ManagedCluster
		if err := json.Unmarshal(out, &body); err != nil {
			t.Fatal(err)
		}
		var generic map[string]any
		if err := json.Unmarshal(out, &generic); err != nil {
			t.Fatal(err)
		}
		if _, ok := generic["systemData"]; ok {
			t.Errorf("%s: systemData left in the body", s)
		}
		if generic["futureField"] == nil || *body.Location != "eastus" {
			t.Errorf("%s: properties the provider does not know were not kept as read: %s", s, out)
		}
		props := body.Properties
		if body.ETag != nil || props.CurrentKubernetesVersion != nil || props.ProvisioningState != nil {
			t.Errorf("%s: read-only fields left in the body", s)
		}
		if to := *props.KubernetesVersion; to != "1.31.4" {
			t.Errorf("%s: kubernetesVersion %s, want 1.31.4", s, to)
		}
		for i, ap := range props.AgentPoolProfiles {
			if got := *ap.OrchestratorVersion; got != tt.pools[i] {
				t.Errorf("%s: pool %s orchestratorVersion %s, want %s", s, *ap.Name, got, tt.pools[i])
			}
			if ap.NodeImageVersion != nil || ap.ETag != nil || ap.CurrentOrchestratorVersion != nil {
				t.Errorf("%s: pool %s keeps read-only fields", s, *ap.Name)
			}
		}
		if *props.AgentPoolProfiles[0].Count != 3 {
			t.Errorf("%s: the pool's other properties were not kept", s)
		}
	}
	if string(raw) != asRead {
		t.Errorf("clusterUpdate changed the resource as read")
	}
	if _, err := clusterUpdate([]byte(`[1]`), step{kind: stepControlPlane, version: "1.31.4"}); err == nil {
		t.Errorf("clusterUpdate took a body that is not a managed cluster")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
