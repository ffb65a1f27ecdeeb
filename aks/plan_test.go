package aks

import (
	"testing"

	"github.com/caravan-dev/caravan/cluster"
)

const (
	ubuntu   = "AKSUbuntu-2204gen2containerd"
	azl      = "AKSAzureLinux-V3gen2"
	ubuntuV1 = ubuntu + "-202501.12.0"
	ubuntuV2 = ubuntu + "-202502.09.0"
	ubuntuV3 = ubuntu + "-202503.18.0"
	azlV1    = azl + "-202501.12.0"
	azlV3    = azl + "-202503.18.0"
)

// observed is a cluster at 1.30.5 with two pools, in a region offering
// 1.30.5 to 1.31.4 and the V3 images.
func observed(mut func(c *cluster.Cluster)) *cluster.Cluster {
	c := &cluster.Cluster{
		Name: "c1", Region: "eastus", KubernetesVersion: "1.30.5",
		AvailableVersions: []string{"1.30.5", "1.30.7", "1.31.2", "1.31.4"},
		NodePools: []cluster.NodePool{
			{Name: "user", KubernetesVersion: "1.30.5", NodeImageVersion: azlV1, LatestNodeImageVersion: azlV3},
			{Name: "sys", KubernetesVersion: "1.30.5", NodeImageVersion: ubuntuV1, LatestNodeImageVersion: ubuntuV3},
		},
	}
	if mut != nil {
		mut(c)
	}
	return c
}

func TestNextStep(t *testing.T) {
	latest := cluster.ImageTarget{Latest: true}
	pinned := cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntuV2}}
	atVersion := func(c *cluster.Cluster) {
		c.KubernetesVersion = "1.31.4"
		for i := range c.NodePools {
			c.NodePools[i].KubernetesVersion = "1.31.4"
		}
	}
	tests := []struct {
		name    string
		cluster *cluster.Cluster
		target  target
		want    step
		done    bool
	}{
		{"full with latest images moves control plane and pools at once", observed(nil), target{typ: cluster.Full, version: "1.31.4", images: latest},
			step{kind: stepClusterUpgrade, version: "1.31.4"}, false},
		{"full with pinned images moves the control plane first", observed(nil), target{typ: cluster.Full, version: "1.31.4", images: pinned},
			step{kind: stepControlPlane, version: "1.31.4"}, false},
		{"control plane only", observed(nil), target{typ: cluster.ControlPlaneOnly, version: "1.31.4"},
			step{kind: stepControlPlane, version: "1.31.4"}, false},
		{"control plane only at target leaves pools", observed(func(c *cluster.Cluster) { c.KubernetesVersion = "1.31.4" }),
			target{typ: cluster.ControlPlaneOnly, version: "1.31.4"}, step{}, true},
		{"pools in name order with latest", observed(func(c *cluster.Cluster) { c.KubernetesVersion = "1.31.4" }),
			target{typ: cluster.Full, version: "1.31.4", images: latest}, step{kind: stepPoolVersion, pool: "sys", version: "1.31.4"}, false},
		{"pinned image rides with the version", observed(func(c *cluster.Cluster) { c.KubernetesVersion = "1.31.4" }),
			target{typ: cluster.Full, version: "1.31.4", images: pinned}, step{kind: stepPoolVersion, pool: "sys", version: "1.31.4", image: ubuntuV2}, false},
		{"family without entry gets no pinned image", observed(func(c *cluster.Cluster) {
			c.KubernetesVersion = "1.31.4"
			c.NodePools[1].KubernetesVersion = "1.31.4"
			c.NodePools[1].NodeImageVersion = ubuntuV2
		}), target{typ: cluster.Full, version: "1.31.4", images: pinned}, step{kind: stepPoolVersion, pool: "user", version: "1.31.4"}, false},
		{"pool at version with image behind under latest", observed(atVersion),
			target{typ: cluster.Full, version: "1.31.4", images: latest}, step{kind: stepPoolImageLatest, pool: "sys"}, false},
		{"pool at version with image behind when pinned", observed(atVersion),
			target{typ: cluster.Full, version: "1.31.4", images: pinned}, step{kind: stepPoolImagePinned, pool: "sys", image: ubuntuV2}, false},
		{"node image only ignores versions", observed(nil),
			target{typ: cluster.NodeImageOnly, images: latest}, step{kind: stepPoolImageLatest, pool: "sys"}, false},
		{"node image only pinned leaves other families", observed(func(c *cluster.Cluster) { c.NodePools[1].NodeImageVersion = ubuntuV2 }),
			target{typ: cluster.NodeImageOnly, images: pinned}, step{}, true},
		{"image newer than the region's latest is at target", observed(func(c *cluster.Cluster) {
			c.NodePools[0].NodeImageVersion = azl + "-202504.16.0"
			c.NodePools[1].NodeImageVersion = ubuntuV3
		}), target{typ: cluster.NodeImageOnly, images: latest}, step{}, true},
		{"a pinned image never goes backwards", observed(func(c *cluster.Cluster) {
			atVersion(c)
			c.NodePools[1].NodeImageVersion = ubuntuV3
		}), target{typ: cluster.NodeImageOnly, images: pinned}, step{}, true},
		{"a pool past the pinned image keeps its own through a version upgrade", observed(func(c *cluster.Cluster) {
			c.KubernetesVersion = "1.31.4"
			c.NodePools[1].NodeImageVersion = ubuntuV3
		}), target{typ: cluster.Full, version: "1.31.4", images: pinned}, step{kind: stepPoolVersion, pool: "sys", version: "1.31.4", image: ubuntuV3}, false},
		{"a pool left behind by the cluster upgrade goes on its own", observed(func(c *cluster.Cluster) {
			atVersion(c)
			c.NodePools[0].NodeImageVersion = azlV3
			c.NodePools[1].NodeImageVersion = ubuntuV3
			c.NodePools = append(c.NodePools, cluster.NodePool{Name: "added", KubernetesVersion: "1.30.5", NodeImageVersion: ubuntuV1, LatestNodeImageVersion: ubuntuV3})
		}), target{typ: cluster.Full, version: "1.31.4", images: latest}, step{kind: stepPoolVersion, pool: "added", version: "1.31.4"}, false},
		{"everything at target", observed(func(c *cluster.Cluster) {
			atVersion(c)
			c.NodePools[0].NodeImageVersion = azlV3
			c.NodePools[1].NodeImageVersion = ubuntuV3
		}), target{typ: cluster.Full, version: "1.31.4", images: latest}, step{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := nextStep(tt.cluster, tt.target)
			if ok == tt.done {
				t.Fatalf("nextStep reported more work = %v, want %v (step %v)", ok, !tt.done, got)
			}
			if got != tt.want {
				t.Errorf("nextStep = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckOffers(t *testing.T) {
	tests := []struct {
		name   string
		target target
		want   cluster.Reason // "" for no error
	}{
		{"offered upgrade", target{typ: cluster.Full, version: "1.31.4", images: cluster.ImageTarget{Latest: true}}, ""},
		{"version not offered", target{typ: cluster.ControlPlaneOnly, version: "1.31.9"}, cluster.Unavailable},
		{"downgrade is left to the cloud", target{typ: cluster.ControlPlaneOnly, version: "1.29.1"}, ""},
		{"skipped minor is left to the cloud", target{typ: cluster.ControlPlaneOnly, version: "1.32.9"}, ""},
		{"pinned image not offered", target{typ: cluster.NodeImageOnly, images: cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntu + "-202512.01.0"}}}, cluster.Unavailable},
		{"pinned image offered", target{typ: cluster.NodeImageOnly, images: cluster.ImageTarget{Versions: map[string]string{ubuntu: ubuntuV2}}}, ""},
		{"pinned image of an unknown family", target{typ: cluster.NodeImageOnly, images: cluster.ImageTarget{Versions: map[string]string{"Other": "Other-1.0"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOffers(observed(nil), tt.target)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("checkOffers: %v, want nil", err)
				}
				return
			}
			if got := cluster.ReasonOf(err); err == nil || got != tt.want {
				t.Fatalf("checkOffers = %v (%s), want reason %s", err, got, tt.want)
			}
		})
	}
}

func TestResolveTarget(t *testing.T) {
	c := observed(nil)
	got, err := resolveTarget(c, cluster.Operation{Type: cluster.Full, KubernetesVersion: "1.31"})
	if err != nil || got.version != "1.31.4" {
		t.Fatalf("resolveTarget(1.31) = %q, %v; want 1.31.4", got.version, err)
	}
	if _, err := resolveTarget(c, cluster.Operation{Type: cluster.Full, KubernetesVersion: "1.33"}); cluster.ReasonOf(err) != cluster.Unavailable {
		t.Fatalf("resolveTarget(1.33) = %v, want Unavailable", err)
	}
	got, err = resolveTarget(c, cluster.Operation{Type: cluster.NodeImageOnly, KubernetesVersion: "junk"})
	if err != nil || got.version != "" {
		t.Fatalf("NodeImageOnly resolves to %q, %v; want no version", got.version, err)
	}
}

func TestCheckOperation(t *testing.T) {
	for _, op := range []cluster.Operation{
		{ClusterID: "x", Type: cluster.Full, KubernetesVersion: "1.30.1"},
		{ID: "a", Type: "Everything", KubernetesVersion: "1.30.1"},
		{ID: "a", Type: cluster.ControlPlaneOnly, KubernetesVersion: "latest"},
	} {
		if err := checkOperation(op); cluster.ReasonOf(err) != cluster.Rejected {
			t.Errorf("checkOperation(%+v) = %v, want Rejected", op, err)
		}
	}
	if err := checkOperation(cluster.Operation{ID: "a", Type: cluster.NodeImageOnly}); err != nil {
		t.Errorf("checkOperation(NodeImageOnly) = %v", err)
	}
}
