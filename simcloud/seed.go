package simcloud

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/maintenance"
	"github.com/caravan-dev/caravan/version"
	"sigs.k8s.io/yaml"
)

// Seed is a fleet of clusters to create at once, read from YAML or JSON.
type Seed struct {
	// Subscription holds the clusters that name none
	// (DefaultSubscription when empty).
	Subscription string        `json:"subscription,omitempty"`
	Clusters     []ClusterSpec `json:"clusters"`
}

// ClusterSpec describes a cluster to create directly, without an
// operation: it exists, Succeeded, as soon as CreateCluster returns.
type ClusterSpec struct {
	// Subscription defaults to the seed's, then DefaultSubscription.
	Subscription  string `json:"subscription,omitempty"`
	Name          string `json:"name"`
	ResourceGroup string `json:"resourceGroup"`
	Region        string `json:"region"`
	// KubernetesVersion is exact ("1.31.4") or a minor ("1.31", its
	// newest patch in the region). Empty means the region's default.
	KubernetesVersion string            `json:"kubernetesVersion,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	// Pools default to one System pool "nodepool1" of three nodes.
	Pools []PoolSpec `json:"pools,omitempty"`
	// MaintenanceWindows are planned maintenance windows by configuration
	// name (aksManagedAutoUpgradeSchedule, aksManagedNodeOSUpgradeSchedule),
	// in the maintenanceWindow shape of the maintenanceConfigurations API.
	MaintenanceWindows map[string]maintenance.Window `json:"maintenanceWindows,omitempty"`
}

// PoolSpec describes one node pool of a ClusterSpec.
type PoolSpec struct {
	Name string `json:"name"`
	// Count is the number of nodes; 0 means 3.
	Count  int    `json:"count,omitempty"`
	VMSize string `json:"vmSize,omitempty"`
	// OSType is Linux (default) or Windows; OSSKU is Ubuntu (default for
	// Linux), AzureLinux, or Windows2022 (default for Windows). Together
	// they pick the node image family.
	OSType string `json:"osType,omitempty"`
	OSSKU  string `json:"osSKU,omitempty"`
	// Mode is System or User. When no pool of a cluster names a mode,
	// the first is System and the rest User.
	Mode string `json:"mode,omitempty"`
	// KubernetesVersion defaults to the control plane's.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// NodeImageVersion is a full image version, a release of the pool's
	// family ("202503.18.0"), or "latest": the region's newest for the
	// family, as a cluster created through AKS gets. It defaults to the
	// release before the region's newest, so node image upgrades have
	// work to do.
	NodeImageVersion string `json:"nodeImageVersion,omitempty"`
}

// ParseSeed reads a seed from YAML or JSON and checks everything that can
// be checked without a catalog. Errors name the field, such as
// "clusters[3].pools[0].osType".
func ParseSeed(data []byte) (*Seed, error) {
	var s Seed
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("error parsing seed: %w", err)
	}
	var errs []error
	seen := map[string]int{}
	for i, spec := range s.Clusters {
		prefix := fmt.Sprintf("clusters[%d]", i)
		for _, fe := range checkSpec(spec) {
			errs = append(errs, fe.prefixed(prefix))
		}
		key := clusterKey(s.subscriptionFor(spec), spec.ResourceGroup, spec.Name)
		if j, dup := seen[key]; dup {
			errs = append(errs, &FieldError{Field: prefix + ".name", Message: fmt.Sprintf("cluster %q in resource group %q is also clusters[%d]", spec.Name, spec.ResourceGroup, j)})
		} else {
			seen[key] = i
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &s, nil
}

// LoadSeed reads and parses a seed file.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading seed file: %w", err)
	}
	s, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	return s, nil
}

func (s *Seed) subscriptionFor(spec ClusterSpec) string {
	switch {
	case spec.Subscription != "":
		return spec.Subscription
	case s.Subscription != "":
		return s.Subscription
	}
	return DefaultSubscription
}

// CreateClusters creates every cluster of a seed, or none: all of them
// are checked against the catalog first. It returns their ARM ids.
func (cl *Cloud) CreateClusters(s *Seed) ([]string, error) {
	cat := cl.catalog.Load()
	built := make([]*cluster, 0, len(s.Clusters))
	var errs []error
	for i, spec := range s.Clusters {
		spec.Subscription = s.subscriptionFor(spec)
		c, fes := buildCluster(cat, spec)
		for _, fe := range fes {
			errs = append(errs, fe.prefixed(fmt.Sprintf("clusters[%d]", i)))
		}
		if c != nil {
			if cl.clusters.get(c.key) != nil {
				errs = append(errs, &FieldError{Field: fmt.Sprintf("clusters[%d].name", i), Message: fmt.Sprintf("managed cluster %s already exists", c.id)})
			}
			built = append(built, c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	ids := make([]string, 0, len(built))
	for _, c := range built {
		if !cl.clusters.insert(c) {
			return ids, fmt.Errorf("error creating managed cluster %s: it already exists", c.id)
		}
		ids = append(ids, c.id)
	}
	return ids, nil
}

// CreateCluster creates one cluster directly, Succeeded, with no
// operation and no HTTP, and returns its ARM id. Errors name the field of
// the spec that is wrong.
func (cl *Cloud) CreateCluster(spec ClusterSpec) (string, error) {
	if spec.Subscription == "" {
		spec.Subscription = DefaultSubscription
	}
	c, fes := buildCluster(cl.catalog.Load(), spec)
	if len(fes) > 0 {
		errs := make([]error, len(fes))
		for i, fe := range fes {
			errs[i] = fe
		}
		return "", fmt.Errorf("error creating managed cluster %q: %w", spec.Name, errors.Join(errs...))
	}
	if !cl.clusters.insert(c) {
		return "", fmt.Errorf("error creating managed cluster %s: it already exists; pick another name or resource group", c.id)
	}
	return c.id, nil
}

// checkSpec checks what needs no catalog.
func checkSpec(spec ClusterSpec) []*FieldError {
	var errs []*FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.Contains(spec.Subscription, "/") {
		add("subscription", "%q is not a subscription id", spec.Subscription)
	}
	if !clusterNameRE.MatchString(spec.Name) {
		add("name", "%q is not a managed cluster name: use 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit", spec.Name)
	}
	if !groupNameRE.MatchString(spec.ResourceGroup) {
		add("resourceGroup", "%q is not a resource group name: use 1 to 90 letters, digits, '-', '_', '.' and parentheses", spec.ResourceGroup)
	}
	if normalizeRegion(spec.Region) == "" {
		add("region", "is empty; want a region such as eastus")
	}
	if spec.KubernetesVersion != "" {
		if _, err := version.ParseKubernetes(spec.KubernetesVersion); err != nil {
			add("kubernetesVersion", "%v", err)
		}
	}
	if aerr := checkSimTags(spec.Tags); aerr != nil {
		add(aerr.Target, "%s", aerr.Message)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.MaintenanceWindows)) {
		field := fmt.Sprintf("maintenanceWindows.%s", name)
		if _, fe := maintenanceName(name); fe != nil {
			add(field, "%s", fe.Message)
			continue
		}
		w := spec.MaintenanceWindows[name]
		if err := w.Validate(); err != nil {
			add(field, "%v", err)
		}
	}
	seen := map[string]int{}
	explicitSystem, anyMode := false, false
	for i, p := range spec.Pools {
		field := func(name string) string { return fmt.Sprintf("pools[%d].%s", i, name) }
		if !poolNameRE.MatchString(p.Name) {
			add(field("name"), "%q is not a node pool name: it must start with a lowercase letter and hold 1 to 12 lowercase letters and digits", p.Name)
		} else if j, dup := seen[p.Name]; dup {
			add(field("name"), "node pool %q is also pools[%d]", p.Name, j)
		} else {
			seen[p.Name] = i
		}
		osType, err := canonicalOSType(p.OSType)
		if err != nil {
			add(field("osType"), "%v", err)
		} else if _, err := canonicalOSSKU(osType, p.OSSKU); err != nil {
			add(field("osSKU"), "%v", err)
		}
		if m, err := canonicalMode(p.Mode, ""); err != nil {
			add(field("mode"), "%v", err)
		} else if m != "" {
			anyMode = true
			explicitSystem = explicitSystem || m == "System"
		}
		if p.Count < 0 || p.Count > maxPoolCount {
			add(field("count"), "%d is not a node count: want 1 to %d", p.Count, maxPoolCount)
		}
		if p.KubernetesVersion != "" {
			if _, err := version.ParseKubernetes(p.KubernetesVersion); err != nil {
				add(field("kubernetesVersion"), "%v", err)
			}
		}
		if p.NodeImageVersion != "" && p.NodeImageVersion != SeedLatestImage && !seedReleaseRE.MatchString(p.NodeImageVersion) {
			if _, err := version.ParseNodeImage(p.NodeImageVersion); err != nil {
				add(field("nodeImageVersion"), "%v; or give a release of the pool's family such as 202503.18.0, or %q for the region's newest", err, SeedLatestImage)
			}
		}
	}
	if anyMode && !explicitSystem {
		add("pools", "no pool has mode System; a cluster needs at least one")
	}
	return errs
}

// buildCluster checks a spec against the catalog and builds the cluster.
func buildCluster(cat *catalogIndex, spec ClusterSpec) (*cluster, []*FieldError) {
	if errs := checkSpec(spec); len(errs) > 0 {
		return nil, errs
	}
	ri := cat.region(spec.Region)
	if ri == nil {
		return nil, []*FieldError{{Field: "region", Message: fmt.Sprintf("%q is not a region of the catalog; want one of %s", spec.Region, strings.Join(cat.regionNames(), ", "))}}
	}
	var cp version.Kubernetes
	if spec.KubernetesVersion != "" {
		v, aerr := resolveVersion(ri, spec.KubernetesVersion, "kubernetesVersion", nil)
		if aerr != nil {
			return nil, []*FieldError{{Field: "kubernetesVersion", Message: aerr.Message}}
		}
		cp = v
	} else if d, ok := ri.defaultVersion(); ok {
		cp = d
	} else {
		return nil, []*FieldError{{Field: "region", Message: fmt.Sprintf("region %s offers no Kubernetes versions", ri.name)}}
	}
	c := &cluster{
		key:       clusterKey(spec.Subscription, spec.ResourceGroup, spec.Name),
		id:        clusterID(spec.Subscription, spec.ResourceGroup, spec.Name),
		sub:       spec.Subscription,
		rg:        spec.ResourceGroup,
		name:      spec.Name,
		region:    ri.name,
		dnsPrefix: spec.Name + "-dns",
		tags:      copyTags(spec.Tags),
		skuTier:   "Free",
		version:   cp.String(),
		current:   cp.String(),
		state:     StateSucceeded,
	}
	pools := spec.Pools
	if len(pools) == 0 {
		pools = []PoolSpec{{Name: "nodepool1", Mode: "System"}}
	}
	anyMode := false
	for _, p := range pools {
		anyMode = anyMode || p.Mode != ""
	}
	for name, w := range spec.MaintenanceWindows {
		canon, _ := maintenanceName(name)
		if c.windows == nil {
			c.windows = map[string]maintenance.Window{}
		}
		c.windows[canon] = w
	}
	var errs []*FieldError
	for i, ps := range pools {
		mode := ps.Mode
		if !anyMode {
			mode = "User"
			if i == 0 {
				mode = "System"
			}
		}
		in := poolInput{name: ps.Name, vmSize: ps.VMSize, osType: ps.OSType, osSKU: ps.OSSKU, mode: mode, version: ps.KubernetesVersion, image: seedImage(ri, ps)}
		if ps.Count > 0 {
			n := int32(ps.Count)
			in.count = &n
		}
		p, aerr := newPool(cat, ri, in, cp, "User", poolFields{prefix: fmt.Sprintf("pools[%d]", i), versionField: "kubernetesVersion"}, true, true)
		if aerr != nil {
			errs = append(errs, &FieldError{Field: aerr.Target, Message: aerr.Message})
			continue
		}
		c.pools = append(c.pools, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// SeedLatestImage, as a pool's nodeImageVersion in a seed, stands for the
// region's newest image of the pool's family.
const SeedLatestImage = "latest"

// seedReleaseRE matches a bare node image release: a Linux one
// (YYYYMM.DD.build) or a Windows one (build.revision.date).
var seedReleaseRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// seedImage spells out a seeded pool's image: "latest" and bare releases
// become full versions of the pool's family. A pool whose OS type or SKU
// is wrong is left to newPool, which reports it.
func seedImage(ri *regionIndex, ps PoolSpec) string {
	img := ps.NodeImageVersion
	if img != SeedLatestImage && !seedReleaseRE.MatchString(img) {
		return img
	}
	osType, err := canonicalOSType(ps.OSType)
	if err != nil {
		return img
	}
	sku, err := canonicalOSSKU(osType, ps.OSSKU)
	if err != nil {
		return img
	}
	family := imageFamily(osType, sku)
	if img != SeedLatestImage {
		return family + "-" + img
	}
	if latest, ok := ri.latestImage(family); ok {
		return latest.String()
	}
	return img
}

func copyTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}
