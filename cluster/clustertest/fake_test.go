package clustertest_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/clustertest"
	"github.com/caravan-dev/caravan/cluster/fake"
)

// TestFake runs the conformance suite against the in-memory provider.
func TestFake(t *testing.T) {
	clustertest.Run(t, newFakeEnv)
}

const fakeIDPrefix = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fleet/providers/Microsoft.ContainerService/managedClusters/"

var fakeRegion = clustertest.Region{
	Name:     "eastus",
	Versions: []string{"1.29.9", "1.29.11", "1.30.5", "1.30.7", "1.31.2", "1.31.4"},
	Images: map[string][]string{
		"AKSUbuntu-2204gen2containerd": {"AKSUbuntu-2204gen2containerd-202501.12.0", "AKSUbuntu-2204gen2containerd-202502.09.0", "AKSUbuntu-2204gen2containerd-202503.18.0"},
		"AKSAzureLinux-V3gen2":         {"AKSAzureLinux-V3gen2-202501.12.0", "AKSAzureLinux-V3gen2-202502.09.0", "AKSAzureLinux-V3gen2-202503.18.0"},
	},
}

// fakeCloud drives a fake.Provider: it ends each operation when the
// cluster's operation time has passed.
type fakeCloud struct {
	p *fake.Provider

	mu    sync.Mutex
	times map[string]time.Duration // by lower-cased cluster id
}

func newFakeEnv(t *testing.T) clustertest.Env {
	p := fake.New()
	latest := map[string]string{}
	for f, imgs := range fakeRegion.Images {
		latest[f] = imgs[len(imgs)-1]
	}
	p.SetRegion(fakeRegion.Name, fake.Region{Versions: fakeRegion.Versions, Images: latest})
	c := &fakeCloud{p: p, times: map[string]time.Duration{}}
	began := p.NotifyBegin(64)
	stop := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case o := <-began:
				c.mu.Lock()
				d := c.times[strings.ToLower(o.ClusterID)]
				c.mu.Unlock()
				if d == 0 {
					p.Finish(o.ID, nil)
					continue
				}
				time.AfterFunc(d, func() { p.Finish(o.ID, nil) })
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-ended
	})
	return clustertest.Env{Provider: p, Cloud: c}
}

func (c *fakeCloud) Region() clustertest.Region { return fakeRegion }

func (c *fakeCloud) CreateCluster(t *testing.T, spec clustertest.ClusterSpec) string {
	id := fakeIDPrefix + spec.Name
	cl := cluster.Cluster{ID: id, Name: spec.Name, Region: fakeRegion.Name, KubernetesVersion: spec.KubernetesVersion, MaintenanceWindows: spec.MaintenanceWindows}
	for _, ps := range spec.Pools {
		v := ps.KubernetesVersion
		if v == "" {
			v = spec.KubernetesVersion
		}
		cl.NodePools = append(cl.NodePools, cluster.NodePool{
			Name: ps.Name, Mode: ps.Mode, OSType: "Linux", Count: ps.Count,
			KubernetesVersion: v, NodeImageVersion: ps.NodeImageVersion,
		})
	}
	c.p.AddCluster(cl)
	if spec.FailUpgrades {
		c.p.FailOperations(id, cluster.Errorf(cluster.Failed, c.FailureCode(), "the upgrade of cluster %s failed", spec.Name))
	}
	c.mu.Lock()
	c.times[strings.ToLower(id)] = spec.OperationTime
	c.mu.Unlock()
	return id
}

func (c *fakeCloud) Occupy(t *testing.T, id string) func() {
	c.p.SetBusy(id, true)
	return func() { c.p.SetBusy(id, false) }
}

func (c *fakeCloud) Began(t *testing.T, id string) int {
	n := 0
	for _, o := range c.p.Began() {
		if strings.EqualFold(o.ClusterID, id) {
			n++
		}
	}
	return n
}

func (c *fakeCloud) FailureCode() string { return "UpgradeFailed" }

func (c *fakeCloud) MissingClusterID() string { return fakeIDPrefix + "missing" }
