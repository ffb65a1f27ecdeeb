package simcloud

import (
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// listKubernetesVersions serves ListKubernetesVersions for one region:
// each minor with its patches and, per patch, the versions it can be
// upgraded to in one step.
func (cl *Cloud) listKubernetesVersions(q *request) (*reply, *armError) {
	cat := cl.catalog.Load()
	ri := cat.region(q.rt.region)
	if ri == nil {
		return nil, unknownRegion(cat, q.rt.region)
	}
	def, _ := ri.defaultVersion()
	out := armcontainerservice.KubernetesVersionListResult{Values: []*armcontainerservice.KubernetesVersion{}}
	var cur *armcontainerservice.KubernetesVersion
	for _, v := range ri.versions {
		if cur == nil || *cur.Version != v.MinorString() {
			cur = &armcontainerservice.KubernetesVersion{
				Version: to.Ptr(v.MinorString()),
				Capabilities: &armcontainerservice.KubernetesVersionCapabilities{
					SupportPlan: []*armcontainerservice.KubernetesSupportPlan{to.Ptr(armcontainerservice.KubernetesSupportPlanKubernetesOfficial)},
				},
				PatchVersions: map[string]*armcontainerservice.KubernetesPatchVersion{},
			}
			if v.SameMinor(def) {
				cur.IsDefault = to.Ptr(true)
			}
			out.Values = append(out.Values, cur)
		}
		cur.PatchVersions[v.String()] = &armcontainerservice.KubernetesPatchVersion{Upgrades: ptrs(availableUpgrades(ri, v))}
	}
	return &reply{status: http.StatusOK, body: out}, nil
}

// getClusterUpgradeProfile lists, for the control plane and each pool,
// the versions reachable in one step from where it runs now.
func (cl *Cloud) getClusterUpgradeProfile(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	ri := cl.catalog.Load().region(c.region)
	if ri == nil {
		return nil, unknownRegion(cl.catalog.Load(), c.region)
	}
	prof := armcontainerservice.ManagedClusterUpgradeProfile{
		ID:   to.Ptr(c.id + "/upgradeProfiles/default"),
		Name: to.Ptr("default"),
		Type: to.Ptr(typeClusterUpgradeProf),
		Properties: &armcontainerservice.ManagedClusterUpgradeProfileProperties{
			ControlPlaneProfile: &armcontainerservice.ManagedClusterPoolUpgradeProfile{
				Name:              to.Ptr(c.name),
				KubernetesVersion: to.Ptr(c.current),
				OSType:            to.Ptr(armcontainerservice.OSTypeLinux),
				Upgrades:          clusterUpgradeItems(availableUpgrades(ri, stored(c.current))),
			},
			AgentPoolProfiles: []*armcontainerservice.ManagedClusterPoolUpgradeProfile{},
		},
	}
	for _, p := range c.pools {
		prof.Properties.AgentPoolProfiles = append(prof.Properties.AgentPoolProfiles, &armcontainerservice.ManagedClusterPoolUpgradeProfile{
			Name:              to.Ptr(p.name),
			KubernetesVersion: to.Ptr(p.current),
			OSType:            to.Ptr(armcontainerservice.OSType(p.osType)),
			Upgrades:          clusterUpgradeItems(availableUpgrades(ri, stored(p.current))),
		})
	}
	return &reply{status: http.StatusOK, body: prof}, nil
}

// getPoolUpgradeProfile reports a pool's upgrades and the newest node
// image its region offers for the pool's family.
func (cl *Cloud) getPoolUpgradeProfile(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	p := c.poolByName(q.rt.pool)
	if p == nil {
		return nil, poolNotFound(q)
	}
	ri := cl.catalog.Load().region(c.region)
	if ri == nil {
		return nil, unknownRegion(cl.catalog.Load(), c.region)
	}
	var items []*armcontainerservice.AgentPoolUpgradeProfilePropertiesUpgradesItem
	for _, v := range availableUpgrades(ri, stored(p.current)) {
		items = append(items, &armcontainerservice.AgentPoolUpgradeProfilePropertiesUpgradesItem{KubernetesVersion: to.Ptr(v)})
	}
	latest, _ := ri.latestImage(p.family())
	prof := armcontainerservice.AgentPoolUpgradeProfile{
		ID:   to.Ptr(c.id + "/agentPools/" + p.name + "/upgradeProfiles/default"),
		Name: to.Ptr("default"),
		Type: to.Ptr(typeAgentPoolUpgradeProf),
		Properties: &armcontainerservice.AgentPoolUpgradeProfileProperties{
			KubernetesVersion:      to.Ptr(p.current),
			OSType:                 to.Ptr(armcontainerservice.OSType(p.osType)),
			Upgrades:               items,
			LatestNodeImageVersion: to.Ptr(latest.String()),
		},
	}
	return &reply{status: http.StatusOK, body: prof}, nil
}

func clusterUpgradeItems(vs []string) []*armcontainerservice.ManagedClusterPoolUpgradeProfileUpgradesItem {
	out := []*armcontainerservice.ManagedClusterPoolUpgradeProfileUpgradesItem{}
	for _, v := range vs {
		out = append(out, &armcontainerservice.ManagedClusterPoolUpgradeProfileUpgradesItem{KubernetesVersion: to.Ptr(v)})
	}
	return out
}

func ptrs(vs []string) []*string {
	out := make([]*string, len(vs))
	for i := range vs {
		out[i] = to.Ptr(vs[i])
	}
	return out
}
