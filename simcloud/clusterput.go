package simcloud

import "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

// clusterPut is what the simulated cloud reads of a managed cluster PUT:
// the fields it acts on, under their ARM names and with the SDK's types.
// Every other property of the resource is accepted and left alone, as
// ARM leaves read-only properties. Decoding these few fields, rather than
// the SDK's whole ManagedCluster model, keeps a PUT cheap: the provider
// sends the whole resource as read.
type clusterPut struct {
	Location   *string               `json:"location"`
	Tags       map[string]*string    `json:"tags"`
	SKU        *clusterPutSKU        `json:"sku"`
	Properties *clusterPutProperties `json:"properties"`
}

type clusterPutProperties struct {
	KubernetesVersion *string    `json:"kubernetesVersion"`
	DNSPrefix         *string    `json:"dnsPrefix"`
	AgentPoolProfiles []*poolPut `json:"agentPoolProfiles"`
}

type clusterPutSKU struct {
	Tier *armcontainerservice.ManagedClusterSKUTier `json:"tier"`
}

// poolPut is what the simulated cloud reads of a pool in a managed
// cluster PUT (properties.agentPoolProfiles[]).
type poolPut struct {
	Name                *string                            `json:"name"`
	Count               *int32                             `json:"count"`
	VMSize              *string                            `json:"vmSize"`
	OrchestratorVersion *string                            `json:"orchestratorVersion"`
	NodeImageVersion    *string                            `json:"nodeImageVersion"`
	MaxPods             *int32                             `json:"maxPods"`
	OSType              *armcontainerservice.OSType        `json:"osType"`
	OSSKU               *armcontainerservice.OSSKU         `json:"osSKU"`
	Mode                *armcontainerservice.AgentPoolMode `json:"mode"`
	Tags                map[string]*string                 `json:"tags"`
}
