package clustertest

import (
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
)

// Env is one provider under test and the cloud behind it. Run builds a
// fresh Env for every check, so checks never see each other's clusters.
type Env struct {
	Provider cluster.Provider
	Cloud    Cloud
}

// Cloud is what the suite needs to drive the cloud behind a provider.
// Implementations call t.Fatal on errors.
type Cloud interface {
	// Region is the region CreateCluster creates clusters in, and what it
	// offers.
	Region() Region
	// CreateCluster creates an idle cluster in Region and returns its id.
	CreateCluster(t *testing.T, spec ClusterSpec) string
	// Occupy begins an operation on the cluster that the provider did not
	// begin, so the cluster is busy until end is called.
	Occupy(t *testing.T, clusterID string) (end func())
	// Began returns how many operations the cloud has begun on the
	// cluster. The suite compares counts, so a provider may count whole
	// upgrades or the cloud calls they are made of, as long as it counts
	// the same way every time.
	Began(t *testing.T, clusterID string) int
	// FailureCode is the error code operations of a cluster created with
	// FailUpgrades end with.
	FailureCode() string
	// MissingClusterID returns a well-formed id of a cluster that does not
	// exist.
	MissingClusterID() string
}

// Region is what a region offers. It must offer at least three
// consecutive Kubernetes minor versions, and at least two node image
// families with at least three releases each.
type Region struct {
	Name string
	// Versions are the exact Kubernetes versions offered.
	Versions []string
	// Images maps an image family to the image versions offered, oldest
	// first; the last is the newest.
	Images map[string][]string
}

// ClusterSpec is a cluster for the suite to create.
type ClusterSpec struct {
	// Name is unique within one Env.
	Name string
	// KubernetesVersion is the control plane's exact version.
	KubernetesVersion string
	Pools             []PoolSpec
	// OperationTime is how long each operation on the cluster takes.
	OperationTime time.Duration
	// MaintenanceWindows are planned maintenance windows to give the
	// cluster, by configuration name.
	MaintenanceWindows map[string]maintenance.Window
	// FailUpgrades makes every upgrade of the cluster run and then end
	// Failed with the cloud's FailureCode.
	FailUpgrades bool
}

// PoolSpec is a node pool of a ClusterSpec.
type PoolSpec struct {
	// Name is at most six lower-case letters and digits, which suits
	// every OS type.
	Name string
	// Mode is System or User.
	Mode string
	// Count is the number of nodes.
	Count int
	// KubernetesVersion is the pool's exact version; empty means the
	// control plane's.
	KubernetesVersion string
	// NodeImageVersion is the pool's full image version; its family
	// decides the pool's OS.
	NodeImageVersion string
}
