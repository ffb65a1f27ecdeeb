package aks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// apiVersion is the Microsoft.ContainerService API version the provider
// speaks, the one the SDK's clients default to.
const apiVersion = "2025-02-01"

// clusterSummary is the part of a managed cluster that an observation
// reads, with the JSON names of the ARM resource. A cluster is read
// several times per upgrade; decoding these few fields costs a fraction of
// decoding the SDK's whole model, which is done only when an update needs
// the resource as read (observation.resource).
type clusterSummary struct {
	Name       *string `json:"name"`
	Location   *string `json:"location"`
	ETag       *string `json:"eTag"`
	Properties *struct {
		ProvisioningState        *string `json:"provisioningState"`
		KubernetesVersion        *string `json:"kubernetesVersion"`
		CurrentKubernetesVersion *string `json:"currentKubernetesVersion"`
		AgentPoolProfiles        []*struct {
			Name                       *string `json:"name"`
			OrchestratorVersion        *string `json:"orchestratorVersion"`
			CurrentOrchestratorVersion *string `json:"currentOrchestratorVersion"`
			NodeImageVersion           *string `json:"nodeImageVersion"`
			Mode                       *string `json:"mode"`
			OSType                     *string `json:"osType"`
			Count                      *int32  `json:"count"`
			ProvisioningState          *string `json:"provisioningState"`
		} `json:"agentPoolProfiles"`
	} `json:"properties"`
}

// getCluster reads a managed cluster (GET .../managedClusters/{name})
// through the subscription's ARM pipeline, as ManagedClustersClient.Get
// does, and returns the body with its summary.
func (p *Provider) getCluster(ctx context.Context, cs *clientSet, id clusterID) ([]byte, clusterSummary, error) {
	var sum clusterSummary
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(cs.raw.Endpoint(), id.path()))
	if err != nil {
		return nil, sum, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", apiVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	resp, err := cs.raw.Pipeline().Do(req)
	if err != nil {
		return nil, sum, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return nil, sum, runtime.NewResponseError(resp)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return nil, sum, err
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		return nil, sum, fmt.Errorf("error decoding managed cluster %s: %w", id.name, err)
	}
	return body, sum, nil
}
