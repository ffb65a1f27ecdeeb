package simcloud

// The ARM resource types the simulator serves.
const (
	typeManagedCluster       = "Microsoft.ContainerService/managedClusters"
	typeAgentPool            = "Microsoft.ContainerService/managedClusters/agentPools"
	typeClusterUpgradeProf   = "Microsoft.ContainerService/managedClusters/upgradeprofiles"
	typeAgentPoolUpgradeProf = "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles"
)

// The wire shapes of managed clusters and agent pools, with the JSON names
// of the Microsoft.ContainerService API. They hold only what the simulator
// fills in, as plain fields: every cluster read renders one, and plain
// structs encode several times faster than the SDK's models, whose
// MarshalJSON builds a map per object.
type (
	managedClusterJSON struct {
		ID         string                `json:"id"`
		Name       string                `json:"name"`
		Type       string                `json:"type"`
		Location   string                `json:"location"`
		Tags       map[string]string     `json:"tags"`
		ETag       string                `json:"eTag"`
		SKU        skuJSON               `json:"sku"`
		Properties clusterPropertiesJSON `json:"properties"`
	}
	skuJSON struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	}
	powerStateJSON struct {
		Code string `json:"code"`
	}
	clusterPropertiesJSON struct {
		ProvisioningState        string            `json:"provisioningState"`
		PowerState               powerStateJSON    `json:"powerState"`
		KubernetesVersion        string            `json:"kubernetesVersion"`
		CurrentKubernetesVersion string            `json:"currentKubernetesVersion"`
		DNSPrefix                string            `json:"dnsPrefix"`
		Fqdn                     string            `json:"fqdn"`
		NodeResourceGroup        string            `json:"nodeResourceGroup"`
		EnableRBAC               bool              `json:"enableRBAC"`
		MaxAgentPools            int32             `json:"maxAgentPools"`
		AgentPoolProfiles        []poolProfileJSON `json:"agentPoolProfiles"`
	}
	// poolPropertiesJSON is an agent pool's properties: the body of the
	// agentPools endpoints' properties, and (with a name) an entry of a
	// cluster's agentPoolProfiles.
	poolPropertiesJSON struct {
		Count                      int32               `json:"count"`
		VMSize                     string              `json:"vmSize"`
		OSType                     string              `json:"osType"`
		OSSKU                      string              `json:"osSKU"`
		Mode                       string              `json:"mode"`
		MaxPods                    int32               `json:"maxPods"`
		Type                       string              `json:"type"`
		Tags                       map[string]string   `json:"tags,omitempty"`
		OrchestratorVersion        string              `json:"orchestratorVersion"`
		CurrentOrchestratorVersion string              `json:"currentOrchestratorVersion"`
		NodeImageVersion           string              `json:"nodeImageVersion"`
		ProvisioningState          string              `json:"provisioningState"`
		PowerState                 powerStateJSON      `json:"powerState"`
		UpgradeSettings            upgradeSettingsJSON `json:"upgradeSettings"`
		ETag                       string              `json:"eTag"`
		EnableAutoScaling          bool                `json:"enableAutoScaling"`
	}
	poolProfileJSON struct {
		Name string `json:"name"`
		poolPropertiesJSON
	}
	upgradeSettingsJSON struct {
		MaxSurge string `json:"maxSurge"`
	}
	agentPoolJSON struct {
		ID         string             `json:"id"`
		Name       string             `json:"name"`
		Type       string             `json:"type"`
		Properties poolPropertiesJSON `json:"properties"`
	}
	// listJSON is an ARM list page.
	listJSON[T any] struct {
		Value    []T    `json:"value"`
		NextLink string `json:"nextLink,omitempty"`
	}
)

// toARM renders the cluster as ARM shows it. The caller holds c.mu.
func (c *cluster) toARM() *managedClusterJSON {
	profiles := make([]poolProfileJSON, 0, len(c.pools))
	for _, p := range c.pools {
		profiles = append(profiles, poolProfileJSON{Name: p.name, poolPropertiesJSON: p.toProperties()})
	}
	return &managedClusterJSON{
		ID:       c.id,
		Name:     c.name,
		Type:     typeManagedCluster,
		Location: c.region,
		Tags:     c.tagsCopy(),
		ETag:     c.etagString(),
		SKU:      skuJSON{Name: "Base", Tier: c.skuTier},
		Properties: clusterPropertiesJSON{
			ProvisioningState:        c.state,
			PowerState:               powerStateJSON{Code: "Running"},
			KubernetesVersion:        c.version,
			CurrentKubernetesVersion: c.current,
			DNSPrefix:                c.dnsPrefix,
			Fqdn:                     c.dnsPrefix + ".hcp." + c.region + ".azmk8s.io",
			NodeResourceGroup:        "MC_" + c.rg + "_" + c.name + "_" + c.region,
			EnableRBAC:               true,
			MaxAgentPools:            100,
			AgentPoolProfiles:        profiles,
		},
	}
}

func (p *pool) toProperties() poolPropertiesJSON {
	var tags map[string]string
	if len(p.tags) > 0 {
		tags = make(map[string]string, len(p.tags))
		for k, v := range p.tags {
			tags[k] = v
		}
	}
	return poolPropertiesJSON{
		Count:                      p.count,
		VMSize:                     p.vmSize,
		OSType:                     p.osType,
		OSSKU:                      p.osSKU,
		Mode:                       p.mode,
		MaxPods:                    p.maxPods,
		Type:                       "VirtualMachineScaleSets",
		Tags:                       tags,
		OrchestratorVersion:        p.version,
		CurrentOrchestratorVersion: p.current,
		NodeImageVersion:           p.image,
		ProvisioningState:          p.state,
		PowerState:                 powerStateJSON{Code: "Running"},
		UpgradeSettings:            upgradeSettingsJSON{MaxSurge: "10%"},
		ETag:                       p.etagString(),
		EnableAutoScaling:          false,
	}
}

// poolToARM renders a pool as the agentPools endpoints show it.
func (c *cluster) poolToARM(p *pool) *agentPoolJSON {
	return &agentPoolJSON{
		ID:         c.id + "/agentPools/" + p.name,
		Name:       p.name,
		Type:       typeAgentPool,
		Properties: p.toProperties(),
	}
}
