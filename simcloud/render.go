package simcloud

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// The ARM resource types the simulator serves.
const (
	typeManagedCluster       = "Microsoft.ContainerService/managedClusters"
	typeAgentPool            = "Microsoft.ContainerService/managedClusters/agentPools"
	typeClusterUpgradeProf   = "Microsoft.ContainerService/managedClusters/upgradeprofiles"
	typeAgentPoolUpgradeProf = "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles"
)

// toARM renders the cluster as ARM shows it. The caller holds c.mu.
func (c *cluster) toARM() *armcontainerservice.ManagedCluster {
	tags := map[string]*string{}
	for k, v := range c.tags {
		tags[k] = to.Ptr(v)
	}
	profiles := make([]*armcontainerservice.ManagedClusterAgentPoolProfile, 0, len(c.pools))
	for _, p := range c.pools {
		profiles = append(profiles, p.toProfile())
	}
	return &armcontainerservice.ManagedCluster{
		ID:       to.Ptr(c.id),
		Name:     to.Ptr(c.name),
		Type:     to.Ptr(typeManagedCluster),
		Location: to.Ptr(c.region),
		Tags:     tags,
		ETag:     to.Ptr(c.etagString()),
		SKU: &armcontainerservice.ManagedClusterSKU{
			Name: to.Ptr(armcontainerservice.ManagedClusterSKUNameBase),
			Tier: to.Ptr(armcontainerservice.ManagedClusterSKUTier(c.skuTier)),
		},
		Properties: &armcontainerservice.ManagedClusterProperties{
			ProvisioningState:        to.Ptr(c.state),
			PowerState:               &armcontainerservice.PowerState{Code: to.Ptr(armcontainerservice.CodeRunning)},
			KubernetesVersion:        to.Ptr(c.version),
			CurrentKubernetesVersion: to.Ptr(c.current),
			DNSPrefix:                to.Ptr(c.dnsPrefix),
			Fqdn:                     to.Ptr(c.dnsPrefix + ".hcp." + c.region + ".azmk8s.io"),
			NodeResourceGroup:        to.Ptr("MC_" + c.rg + "_" + c.name + "_" + c.region),
			EnableRBAC:               to.Ptr(true),
			MaxAgentPools:            to.Ptr[int32](100),
			AgentPoolProfiles:        profiles,
		},
	}
}

// toProfile renders the pool as it appears inside its managed cluster.
func (p *pool) toProfile() *armcontainerservice.ManagedClusterAgentPoolProfile {
	props := p.toProperties()
	return &armcontainerservice.ManagedClusterAgentPoolProfile{
		Name:                       to.Ptr(p.name),
		Count:                      props.Count,
		VMSize:                     props.VMSize,
		OSType:                     props.OSType,
		OSSKU:                      props.OSSKU,
		Mode:                       props.Mode,
		MaxPods:                    props.MaxPods,
		Type:                       props.Type,
		Tags:                       props.Tags,
		OrchestratorVersion:        props.OrchestratorVersion,
		CurrentOrchestratorVersion: props.CurrentOrchestratorVersion,
		NodeImageVersion:           props.NodeImageVersion,
		ProvisioningState:          props.ProvisioningState,
		PowerState:                 props.PowerState,
		UpgradeSettings:            props.UpgradeSettings,
		ETag:                       props.ETag,
		EnableAutoScaling:          props.EnableAutoScaling,
	}
}

func (p *pool) toProperties() *armcontainerservice.ManagedClusterAgentPoolProfileProperties {
	var tags map[string]*string
	if len(p.tags) > 0 {
		tags = map[string]*string{}
		for k, v := range p.tags {
			tags[k] = to.Ptr(v)
		}
	}
	return &armcontainerservice.ManagedClusterAgentPoolProfileProperties{
		Count:                      to.Ptr(p.count),
		VMSize:                     to.Ptr(p.vmSize),
		OSType:                     to.Ptr(armcontainerservice.OSType(p.osType)),
		OSSKU:                      to.Ptr(armcontainerservice.OSSKU(p.osSKU)),
		Mode:                       to.Ptr(armcontainerservice.AgentPoolMode(p.mode)),
		MaxPods:                    to.Ptr(p.maxPods),
		Type:                       to.Ptr(armcontainerservice.AgentPoolTypeVirtualMachineScaleSets),
		Tags:                       tags,
		OrchestratorVersion:        to.Ptr(p.version),
		CurrentOrchestratorVersion: to.Ptr(p.current),
		NodeImageVersion:           to.Ptr(p.image),
		ProvisioningState:          to.Ptr(p.state),
		PowerState:                 &armcontainerservice.PowerState{Code: to.Ptr(armcontainerservice.CodeRunning)},
		UpgradeSettings:            &armcontainerservice.AgentPoolUpgradeSettings{MaxSurge: to.Ptr("10%")},
		ETag:                       to.Ptr(p.etagString()),
		EnableAutoScaling:          to.Ptr(false),
	}
}

// poolToARM renders a pool as the agentPools endpoints show it.
func (c *cluster) poolToARM(p *pool) *armcontainerservice.AgentPool {
	return &armcontainerservice.AgentPool{
		ID:         to.Ptr(c.id + "/agentPools/" + p.name),
		Name:       to.Ptr(p.name),
		Type:       to.Ptr(typeAgentPool),
		Properties: p.toProperties(),
	}
}
