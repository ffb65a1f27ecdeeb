package cluster

import (
	"slices"

	"github.com/caravan-dev/caravan/maintenance"

	"github.com/caravan-dev/caravan/version"
)

// Cluster is what a provider observed of one cluster, and what the
// cluster's region offers it.
type Cluster struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Region string `json:"region"`
	// KubernetesVersion is the control plane's exact version.
	KubernetesVersion string `json:"kubernetesVersion"`
	// ProvisioningState is the cloud's state of the cluster, such as
	// Succeeded, Upgrading or Failed.
	ProvisioningState string `json:"provisioningState,omitempty"`
	// Busy reports that the cloud is running an operation on the cluster,
	// so another cannot begin now.
	Busy      bool       `json:"busy,omitempty"`
	NodePools []NodePool `json:"nodePools,omitempty"`
	// AvailableVersions are the exact Kubernetes versions the cluster's
	// region offers.
	AvailableVersions []string `json:"availableVersions,omitempty"`
	// MaintenanceWindows are the cluster's planned maintenance windows
	// by configuration name (maintenance.AutoUpgradeSchedule,
	// maintenance.NodeOSUpgradeSchedule); nil when it has none.
	MaintenanceWindows map[string]maintenance.Window `json:"maintenanceWindows,omitempty"`
	// LongTermSupportOnly are those of AvailableVersions the region offers
	// only under long-term support, when the provider knows; auto-upgrade
	// takes them only for a profile that asks for long-term support.
	LongTermSupportOnly []string `json:"longTermSupportOnly,omitempty"`
	// Basis is the provider's own record of the read that produced this
	// Cluster, opaque to everyone else; nil when the provider keeps none.
	// Hand it back in Operation.Basis to upgrade the cluster from this
	// read (see Provider).
	Basis any `json:"-"`
}

// Window returns the cluster's maintenance window that governs an upgrade
// of type t: the node OS schedule for NodeImageOnly, the auto-upgrade
// schedule otherwise.
func (c *Cluster) Window(t UpgradeType) (maintenance.Window, bool) {
	name := maintenance.AutoUpgradeSchedule
	if t == NodeImageOnly {
		name = maintenance.NodeOSUpgradeSchedule
	}
	w, ok := c.MaintenanceWindows[name]
	return w, ok
}

// NodePool is one node pool of a cluster.
type NodePool struct {
	Name              string `json:"name"`
	Mode              string `json:"mode,omitempty"`
	OSType            string `json:"osType,omitempty"`
	Count             int    `json:"count,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion"`
	// NodeImageVersion is the pool's full image version, such as
	// AKSUbuntu-2204gen2containerd-202410.15.0.
	NodeImageVersion string `json:"nodeImageVersion"`
	// LatestNodeImageVersion is the newest image of the pool's family
	// that its region offers.
	LatestNodeImageVersion string `json:"latestNodeImageVersion,omitempty"`
}

// ImageFamily is the family of the pool's node image.
func (p NodePool) ImageFamily() string { return version.ImageFamily(p.NodeImageVersion) }

// OffersVersion reports whether the cluster's region offers the exact
// Kubernetes version v.
func (c *Cluster) OffersVersion(v string) bool { return slices.Contains(c.AvailableVersions, v) }

// OffersImage reports whether the cluster's region offers the node image
// img: regions publish a family's releases in order, so an image is offered
// when it is not newer than the newest one the region has for its family.
func (c *Cluster) OffersImage(img string) bool {
	want, err := version.ParseNodeImage(img)
	if err != nil {
		return false
	}
	for _, p := range c.NodePools {
		latest, err := version.ParseNodeImage(p.LatestNodeImageVersion)
		if err == nil && latest.Family == want.Family {
			return want.Compare(latest) <= 0
		}
	}
	return false
}

// LatestImages returns the newest image per family that the cluster's
// region offers, as seen through its node pools.
func (c *Cluster) LatestImages() map[string]string {
	out := map[string]string{}
	for _, p := range c.NodePools {
		if f := version.ImageFamily(p.LatestNodeImageVersion); f != "" {
			out[f] = p.LatestNodeImageVersion
		}
	}
	return out
}
