package simcloud

import (
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/caravan-dev/caravan/maintenance"
)

// Provisioning states of managed clusters and agent pools.
const (
	StateSucceeded                 = "Succeeded"
	StateFailed                    = "Failed"
	StateCreating                  = "Creating"
	StateUpdating                  = "Updating"
	StateUpgrading                 = "Upgrading"
	StateUpgradingNodeImageVersion = "UpgradingNodeImageVersion"
	StateDeleting                  = "Deleting"
)

// cluster is one simulated managed cluster. Every field is guarded by mu;
// key, id, sub, rg, name and region never change.
type cluster struct {
	mu sync.Mutex

	key    string // lower-cased "sub/rg/name", the store's key
	id     string // ARM id, with names as given at creation
	sub    string
	rg     string
	name   string
	region string

	dnsPrefix string
	tags      map[string]string
	skuTier   string
	// version is the desired control plane version (ARM's
	// kubernetesVersion); current is the one running
	// (currentKubernetesVersion). They differ while an upgrade runs.
	version string
	current string
	state   string
	etag    uint64
	pools   []*pool
	// windows are the cluster's planned maintenance windows, by
	// maintenance configuration name.
	windows map[string]maintenance.Window
	// op is the operation running on the cluster, nil when idle.
	op *operation
	// deleted is set when a delete finishes; the cluster has left the
	// store and every request treats it as absent.
	deleted bool
}

// pool is one agent pool of a cluster, guarded by its cluster's mu.
type pool struct {
	name    string
	count   int32
	vmSize  string
	osType  string
	osSKU   string
	mode    string
	maxPods int32
	tags    map[string]string
	// version is the desired orchestratorVersion, current the running
	// one (currentOrchestratorVersion).
	version string
	current string
	image   string
	state   string
	etag    uint64
}

// family is the node image family the pool runs.
func (p *pool) family() string { return imageFamily(p.osType, p.osSKU) }

func clusterKey(sub, rg, name string) string {
	return strings.ToLower(sub + "/" + rg + "/" + name)
}

func clusterID(sub, rg, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s", sub, rg, name)
}

func (c *cluster) poolByName(name string) *pool {
	for _, p := range c.pools {
		if strings.EqualFold(p.name, name) {
			return p
		}
	}
	return nil
}

func (c *cluster) removePool(name string) {
	for i, p := range c.pools {
		if strings.EqualFold(p.name, name) {
			c.pools = append(c.pools[:i:i], c.pools[i+1:]...)
			return
		}
	}
}

// systemPools counts the pools in System mode.
func (c *cluster) systemPools() int {
	n := 0
	for _, p := range c.pools {
		if p.mode == "System" {
			n++
		}
	}
	return n
}

func (c *cluster) etagString() string { return fmt.Sprintf(`"%d"`, c.etag) }
func (p *pool) etagString() string    { return fmt.Sprintf(`"%d"`, p.etag) }

func (c *cluster) touch() { c.etag++ }

// tagsCopy returns the cluster's tags (never nil).
func (c *cluster) tagsCopy() map[string]string {
	if c.tags == nil {
		return map[string]string{}
	}
	return maps.Clone(c.tags)
}
