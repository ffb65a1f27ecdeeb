package simcloud

import (
	"maps"
	"regexp"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/caravan-dev/caravan/version"
)

// Defaults for pools created without these fields.
const (
	defaultPoolCount   = 3
	defaultVMSize      = "Standard_DS2_v2"
	defaultMaxPods     = 110
	defaultWindowsPods = 30
	maxPoolCount       = 1000
)

var (
	poolNameRE    = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)
	clusterNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9]$|^[a-zA-Z0-9]$`)
	groupNameRE   = regexp.MustCompile(`^[-\w._()]{1,90}$`)
)

// poolInput is what a request (or a seed) says about one pool; nil and
// empty fields were not given.
type poolInput struct {
	name    string
	count   *int32
	vmSize  string
	osType  string
	osSKU   string
	mode    string
	version string
	image   string
	maxPods *int32
	tags    map[string]string
	hasTags bool
}

func inputFromProfile(p *poolPut) poolInput {
	in := poolInput{
		name:    deref(p.Name),
		count:   p.Count,
		vmSize:  deref(p.VMSize),
		version: deref(p.OrchestratorVersion),
		image:   deref(p.NodeImageVersion),
		maxPods: p.MaxPods,
	}
	if p.OSType != nil {
		in.osType = string(*p.OSType)
	}
	if p.OSSKU != nil {
		in.osSKU = string(*p.OSSKU)
	}
	if p.Mode != nil {
		in.mode = string(*p.Mode)
	}
	in.tags, in.hasTags = tagsFromARM(p.Tags)
	return in
}

func inputFromProperties(name string, p *armcontainerservice.ManagedClusterAgentPoolProfileProperties) poolInput {
	in := poolInput{
		name:    name,
		count:   p.Count,
		vmSize:  deref(p.VMSize),
		version: deref(p.OrchestratorVersion),
		image:   deref(p.NodeImageVersion),
		maxPods: p.MaxPods,
	}
	if p.OSType != nil {
		in.osType = string(*p.OSType)
	}
	if p.OSSKU != nil {
		in.osSKU = string(*p.OSSKU)
	}
	if p.Mode != nil {
		in.mode = string(*p.Mode)
	}
	in.tags, in.hasTags = tagsFromARM(p.Tags)
	return in
}

// poolFields names the fields of a pool in error messages: prefix is the
// pool's path ("properties", "properties.agentPoolProfiles[1]",
// "pools[0]"), versionField the name of its Kubernetes version field.
type poolFields struct {
	prefix       string
	versionField string
}

func (f poolFields) field(name string) string {
	if f.prefix == "" {
		return name
	}
	return f.prefix + "." + name
}

// newPool validates a new pool under a control plane at cp in region ri.
// Its node image is image when pinned (or, when defaultImage is
// previousImage, the release before the region's newest), else the
// region's newest for its family.
func newPool(cat *catalogIndex, ri *regionIndex, in poolInput, cp version.Kubernetes, defaultMode string, f poolFields, pinImage bool, olderDefaultImage bool) (*pool, *armError) {
	if !poolNameRE.MatchString(in.name) {
		return nil, invalidParameter(f.field("name"),
			"Node pool name %q is invalid: it must start with a lowercase letter and hold 1 to 12 lowercase letters and digits.", in.name)
	}
	osType, err := canonicalOSType(in.osType)
	if err != nil {
		return nil, invalidParameter(f.field("osType"), "%v.", err)
	}
	if osType == OSTypeWindows && len(in.name) > 6 {
		return nil, invalidParameter(f.field("name"),
			"Windows node pool name %q is too long: Windows pool names hold at most 6 characters.", in.name)
	}
	sku, err := canonicalOSSKU(osType, in.osSKU)
	if err != nil {
		return nil, invalidParameter(f.field("osSKU"), "%v.", err)
	}
	family := imageFamily(osType, sku)
	if _, ok := ri.latestImage(family); !ok {
		return nil, invalidParameter(f.field("osSKU"),
			"Region %s has no %s node images, so %s %s node pools cannot be created there.", ri.name, family, osType, sku)
	}
	mode, err := canonicalMode(in.mode, defaultMode)
	if err != nil {
		return nil, invalidParameter(f.field("mode"), "%v.", err)
	}
	count := int32(defaultPoolCount)
	if in.count != nil {
		count = *in.count
	}
	if count < 0 || count > maxPoolCount || (mode == "System" && count < 1) {
		return nil, invalidParameter(f.field("count"),
			"Node count %d is invalid: want 1 to %d (0 is allowed for User pools).", count, maxPoolCount)
	}
	v := cp
	if in.version != "" {
		target := f.field(f.versionField)
		var aerr *armError
		if v, aerr = resolveVersion(ri, in.version, target, &cp); aerr != nil {
			return nil, aerr
		}
		if aerr = checkPoolVersion(in.name, target, v, cp); aerr != nil {
			return nil, aerr
		}
	}
	var img version.NodeImage
	if pinImage && in.image != "" {
		var aerr *armError
		if img, aerr = checkImage(cat, ri, in.name, family, in.image, f.field("nodeImageVersion")); aerr != nil {
			return nil, aerr
		}
	} else if olderDefaultImage {
		img, _ = ri.previousImage(family)
	} else {
		img, _ = ri.latestImage(family)
	}
	maxPods := int32(defaultMaxPods)
	if osType == OSTypeWindows {
		maxPods = defaultWindowsPods
	}
	if in.maxPods != nil && *in.maxPods > 0 {
		maxPods = *in.maxPods
	}
	vmSize := in.vmSize
	if vmSize == "" {
		vmSize = defaultVMSize
	}
	return &pool{
		name:    in.name,
		count:   count,
		vmSize:  vmSize,
		osType:  osType,
		osSKU:   sku,
		mode:    mode,
		maxPods: maxPods,
		tags:    maps.Clone(in.tags),
		version: v.String(),
		current: v.String(),
		image:   img.String(),
		state:   StateSucceeded,
	}, nil
}

// poolUpdate is a validated change of a pool's plain settings.
type poolUpdate struct {
	count   *int32
	mode    string
	tags    map[string]string
	hasTags bool
}

// checkPoolUpdate validates what a request changes on an existing pool
// besides versions: count, mode and tags change; OS and VM size cannot.
func checkPoolUpdate(p *pool, in poolInput, f poolFields) (poolUpdate, *armError) {
	u := poolUpdate{count: in.count, tags: in.tags, hasTags: in.hasTags, mode: p.mode}
	if in.osType != "" {
		if t, err := canonicalOSType(in.osType); err != nil || t != p.osType {
			return u, invalidParameter(f.field("osType"), "The OS type of node pool %q is %s and cannot be changed.", p.name, p.osType)
		}
	}
	if in.osSKU != "" {
		if s, err := canonicalOSSKU(p.osType, in.osSKU); err != nil || s != p.osSKU {
			return u, invalidParameter(f.field("osSKU"), "The OS SKU of node pool %q is %s and cannot be changed.", p.name, p.osSKU)
		}
	}
	if in.vmSize != "" && in.vmSize != p.vmSize {
		return u, invalidParameter(f.field("vmSize"), "The VM size of node pool %q is %s and cannot be changed; create a new pool instead.", p.name, p.vmSize)
	}
	if in.mode != "" {
		m, err := canonicalMode(in.mode, p.mode)
		if err != nil {
			return u, invalidParameter(f.field("mode"), "%v.", err)
		}
		u.mode = m
	}
	if in.count != nil && (*in.count < 0 || *in.count > maxPoolCount || (u.mode == "System" && *in.count < 1)) {
		return u, invalidParameter(f.field("count"),
			"Node count %d is invalid: want 1 to %d (0 is allowed for User pools).", *in.count, maxPoolCount)
	}
	return u, nil
}

// apply makes the update take effect.
func (u poolUpdate) apply(p *pool) {
	if u.count != nil {
		p.count = *u.count
	}
	p.mode = u.mode
	if u.hasTags {
		p.tags = maps.Clone(u.tags)
	}
	p.etag++
}

func tagsFromARM(t map[string]*string) (map[string]string, bool) {
	if t == nil {
		return nil, false
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = deref(v)
	}
	return out, true
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
