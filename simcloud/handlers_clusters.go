package simcloud

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/caravan-dev/caravan/version"
)

// lockCluster finds the request's cluster, locks it and brings it up to
// date. The caller unlocks it.
func (cl *Cloud) lockCluster(q *request) (*cluster, *armError) {
	c := cl.clusters.get(clusterKey(q.rt.sub, q.rt.rg, q.rt.cluster))
	if c != nil {
		c.mu.Lock()
		cl.settle(c, q.now)
		if !c.deleted {
			return c, nil
		}
		c.mu.Unlock()
	}
	return nil, notFound("The Resource 'Microsoft.ContainerService/managedClusters/%s' under resource group '%s' was not found.", q.rt.cluster, q.rt.rg)
}

func (cl *Cloud) getCluster(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	return &reply{status: http.StatusOK, body: c.toARM()}, nil
}

// busyError is the 409 for a request that arrives while an operation runs.
func busyError(c *cluster) *armError {
	op := c.op
	var kinds []string
	for _, p := range op.parts {
		k := string(p.kind)
		if p.pool != "" {
			k += " of node pool " + p.pool
		}
		kinds = append(kinds, k)
	}
	return newARMError(http.StatusConflict, CodeOperationNotAllowed,
		"Operation is not allowed because there's an operation in progress on managed cluster %q: %s (operation %s, started %s). Wait for it to finish, then retry.",
		c.name, strings.Join(kinds, ", "), op.id, op.start.UTC().Format(time.RFC3339))
}

// checkPreconditions applies If-Match and If-None-Match to a resource
// with etag (exists false: no resource).
func checkPreconditions(r *http.Request, etag string, exists bool) *armError {
	if m := r.Header.Get("If-Match"); m != "" {
		if !exists || (m != "*" && m != etag) {
			return newARMError(http.StatusPreconditionFailed, CodePreconditionFailed,
				"The If-Match header %s does not match the resource's eTag; read the resource again and retry.", m)
		}
	}
	if m := r.Header.Get("If-None-Match"); m != "" && exists && (m == "*" || m == etag) {
		return newARMError(http.StatusPreconditionFailed, CodePreconditionFailed,
			"The resource already exists and the request said If-None-Match: %s.", m)
	}
	return nil
}

func (cl *Cloud) putCluster(q *request) (*reply, *armError) {
	var mc clusterPut
	if aerr := decodeBody(q.r, &mc); aerr != nil {
		return nil, aerr
	}
	key := clusterKey(q.rt.sub, q.rt.rg, q.rt.cluster)
	for {
		if c := cl.clusters.get(key); c != nil {
			c.mu.Lock()
			cl.settle(c, q.now)
			if c.deleted {
				c.mu.Unlock()
				continue
			}
			rep, aerr := cl.updateCluster(q, c, &mc)
			c.mu.Unlock()
			return rep, aerr
		}
		if aerr := checkPreconditions(q.r, "", false); aerr != nil {
			return nil, aerr
		}
		c, pl, aerr := cl.newClusterFromARM(q, &mc)
		if aerr != nil {
			return nil, aerr
		}
		c.mu.Lock()
		if !cl.clusters.insert(c) {
			c.mu.Unlock()
			continue // created meanwhile: update it instead
		}
		op := cl.begin(c, pl, q.now)
		rep := &reply{status: http.StatusCreated, header: q.lroHeaders(op, false), body: c.toARM()}
		c.mu.Unlock()
		return rep, nil
	}
}

// newClusterFromARM validates a create request and builds the cluster
// (state Creating) and its create plan.
func (cl *Cloud) newClusterFromARM(q *request, mc *clusterPut) (*cluster, plan, *armError) {
	cat := cl.catalog.Load()
	if !clusterNameRE.MatchString(q.rt.cluster) {
		return nil, plan{}, invalidParameter("name",
			"Managed cluster name %q is invalid: use 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit.", q.rt.cluster)
	}
	if mc.Location == nil || *mc.Location == "" {
		return nil, plan{}, invalidParameter("location", "The location of the managed cluster is required, such as \"eastus\".")
	}
	ri := cat.region(*mc.Location)
	if ri == nil {
		return nil, plan{}, unknownRegion(cat, *mc.Location)
	}
	tags, _ := tagsFromARM(mc.Tags)
	if aerr := checkSimTags(tags); aerr != nil {
		return nil, plan{}, aerr
	}
	props := mc.Properties
	if props == nil || len(props.AgentPoolProfiles) == 0 {
		return nil, plan{}, invalidParameter("properties.agentPoolProfiles", "A managed cluster needs at least one agent pool in properties.agentPoolProfiles.")
	}
	var cp version.Kubernetes
	if v := deref(props.KubernetesVersion); v != "" {
		var aerr *armError
		if cp, aerr = resolveVersion(ri, v, "properties.kubernetesVersion", nil); aerr != nil {
			return nil, plan{}, aerr
		}
	} else if d, ok := ri.defaultVersion(); ok {
		cp = d
	} else {
		return nil, plan{}, badRequest(CodeVersionNotSupported, "Region %s offers no Kubernetes versions.", ri.name)
	}
	// The route's names are cut from the request's path: the cluster
	// keeps copies, not the request line.
	c := &cluster{
		key:       clusterKey(q.rt.sub, q.rt.rg, q.rt.cluster),
		id:        clusterID(q.rt.sub, q.rt.rg, q.rt.cluster),
		sub:       strings.Clone(q.rt.sub),
		rg:        strings.Clone(q.rt.rg),
		name:      strings.Clone(q.rt.cluster),
		region:    ri.name,
		dnsPrefix: deref(props.DNSPrefix),
		tags:      tags,
		skuTier:   "Free",
		version:   cp.String(),
		current:   cp.String(),
		state:     StateCreating,
	}
	if c.dnsPrefix == "" {
		c.dnsPrefix = q.rt.cluster + "-dns"
	}
	if mc.SKU != nil && mc.SKU.Tier != nil {
		c.skuTier = string(*mc.SKU.Tier)
	}
	for i, prof := range props.AgentPoolProfiles {
		f := poolFields{prefix: fmt.Sprintf("properties.agentPoolProfiles[%d]", i), versionField: "orchestratorVersion"}
		if prof == nil {
			return nil, plan{}, invalidParameter(f.prefix, "Node pool %d is null; give each node pool as an object with its name.", i)
		}
		in := inputFromProfile(prof)
		if c.poolByName(in.name) != nil {
			return nil, plan{}, invalidParameter(f.field("name"), "Node pool name %q appears more than once.", in.name)
		}
		p, aerr := newPool(cat, ri, in, cp, "System", f, false, false)
		if aerr != nil {
			return nil, plan{}, aerr
		}
		p.state = StateCreating
		c.pools = append(c.pools, p)
	}
	if c.systemPools() == 0 {
		return nil, plan{}, invalidParameter("properties.agentPoolProfiles", "A managed cluster needs at least one node pool in System mode.")
	}
	pl := plan{sub: q.rt.sub}
	pl.add(&part{kind: KindCreateCluster, version: cp.String()})
	return c, pl, nil
}

func unknownRegion(cat *catalogIndex, region string) *armError {
	e := badRequest(CodeLocationNotAvailable,
		"The region %q is not available for resource type %s. Available regions: %s.",
		region, typeManagedCluster, strings.Join(cat.regionNames(), ", "))
	e.Target = "location"
	return e
}

// updateCluster applies a PUT to an existing cluster: a changed
// kubernetesVersion upgrades the control plane, listed pools whose
// orchestratorVersion changed are upgraded in the same operation, new
// pools are created, and everything else just updates.
func (cl *Cloud) updateCluster(q *request, c *cluster, mc *clusterPut) (*reply, *armError) {
	if aerr := checkPreconditions(q.r, c.etagString(), true); aerr != nil {
		return nil, aerr
	}
	if c.op != nil {
		return nil, busyError(c)
	}
	cat := cl.catalog.Load()
	ri := cat.region(c.region)
	if ri == nil {
		return nil, unknownRegion(cat, c.region)
	}
	if mc.Location != nil && normalizeRegion(*mc.Location) != c.region {
		return nil, invalidParameter("location", "Managed cluster %q is in %s; its location cannot be changed.", c.name, c.region)
	}
	tags, hasTags := tagsFromARM(mc.Tags)
	if hasTags {
		if aerr := checkSimTags(tags); aerr != nil {
			return nil, aerr
		}
	}
	props := mc.Properties
	if props == nil {
		props = &clusterPutProperties{}
	}
	cpFrom := stored(c.current)
	cpTo := cpFrom
	if v := deref(props.KubernetesVersion); v != "" {
		var aerr *armError
		if cpTo, aerr = resolveVersion(ri, v, "properties.kubernetesVersion", nil); aerr != nil {
			return nil, aerr
		}
		if aerr = checkControlPlaneUpgrade(ri, c.name, cpFrom, cpTo); aerr != nil {
			return nil, aerr
		}
	}

	type poolUpgrade struct {
		p  *pool
		to version.Kubernetes
	}
	var upgrades []poolUpgrade
	updates := map[*pool]poolUpdate{}
	var created []*pool
	upgrading := map[*pool]bool{}
	seen := map[string]bool{}
	for i, prof := range props.AgentPoolProfiles {
		f := poolFields{prefix: fmt.Sprintf("properties.agentPoolProfiles[%d]", i), versionField: "orchestratorVersion"}
		if prof == nil {
			return nil, invalidParameter(f.prefix, "Node pool %d is null; give each node pool as an object with its name.", i)
		}
		in := inputFromProfile(prof)
		lname := strings.ToLower(in.name)
		if seen[lname] {
			return nil, invalidParameter(f.field("name"), "Node pool name %q appears more than once.", in.name)
		}
		seen[lname] = true
		p := c.poolByName(in.name)
		if p == nil {
			np, aerr := newPool(cat, ri, in, cpTo, "User", f, false, false)
			if aerr != nil {
				return nil, aerr
			}
			created = append(created, np)
			continue
		}
		u, aerr := checkPoolUpdate(p, in, f)
		if aerr != nil {
			return nil, aerr
		}
		updates[p] = u
		if in.version == "" {
			continue
		}
		target := f.field("orchestratorVersion")
		to, aerr := resolveVersion(ri, in.version, target, &cpTo)
		if aerr != nil {
			return nil, aerr
		}
		from := stored(p.current)
		if to.Compare(from) == 0 {
			continue
		}
		if aerr := checkPoolUpgrade(ri, p.name, target, from, to, cpTo); aerr != nil {
			return nil, aerr
		}
		if _, ok := ri.latestImage(p.family()); !ok {
			return nil, invalidParameter(target, "Region %s has no %s node images for node pool %q.", ri.name, p.family(), p.name)
		}
		upgrades = append(upgrades, poolUpgrade{p, to})
		upgrading[p] = true
	}
	if cpTo.Compare(cpFrom) != 0 {
		for _, p := range c.pools {
			if !upgrading[p] {
				if aerr := checkPoolLag(c.name, p.name, stored(p.current), cpTo); aerr != nil {
					return nil, aerr
				}
			}
		}
	}

	systems := 0
	for _, p := range c.pools {
		mode := p.mode
		if u, ok := updates[p]; ok {
			mode = u.mode
		}
		if mode == "System" {
			systems++
		}
	}
	for _, np := range created {
		if np.mode == "System" {
			systems++
		}
	}
	if systems == 0 {
		return nil, invalidParameter("properties.agentPoolProfiles", "A managed cluster needs at least one node pool in System mode.")
	}

	// Accepted: set the desired state and start the operation.
	for p, u := range updates {
		u.apply(p)
	}
	if hasTags {
		c.tags = tags
	}
	pl := plan{sub: q.rt.sub, prevPoolVersions: map[string]string{}}
	if cpTo.Compare(cpFrom) != 0 {
		pl.prevVersion = c.version
		c.version = cpTo.String()
		pl.add(&part{kind: KindUpgradeControlPlane, version: cpTo.String()})
	}
	for _, u := range upgrades {
		img, _ := ri.latestImage(u.p.family())
		pl.prevPoolVersions[u.p.name] = u.p.version
		u.p.version = u.to.String()
		u.p.state = StateUpgrading
		u.p.etag++
		pl.add(&part{kind: KindUpgradeAgentPool, pool: u.p.name, version: u.to.String(), image: img.String()})
	}
	for _, np := range created {
		np.state = StateCreating
		c.pools = append(c.pools, np)
		pl.add(&part{kind: KindCreateAgentPool, pool: np.name, version: np.version, image: np.image})
	}
	switch {
	case pl.hasUpgrade():
		c.state = StateUpgrading
	default:
		c.state = StateUpdating
	}
	if len(pl.parts) == 0 {
		pl.add(&part{kind: KindUpdateCluster})
	}
	c.touch()
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusOK, header: q.lroHeaders(op, false), body: c.toARM()}, nil
}

// patchClusterTags serves UpdateTags: it replaces the cluster's tags.
func (cl *Cloud) patchClusterTags(q *request) (*reply, *armError) {
	var body armcontainerservice.TagsObject
	if aerr := decodeBody(q.r, &body); aerr != nil {
		return nil, aerr
	}
	tags, _ := tagsFromARM(body.Tags)
	if aerr := checkSimTags(tags); aerr != nil {
		return nil, aerr
	}
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	if c.op != nil {
		return nil, busyError(c)
	}
	c.tags = tags
	c.state = StateUpdating
	c.touch()
	pl := plan{sub: q.rt.sub}
	pl.add(&part{kind: KindUpdateCluster})
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusOK, header: q.lroHeaders(op, false), body: c.toARM()}, nil
}

func (cl *Cloud) deleteCluster(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		// Deleting what does not exist succeeds, as in ARM.
		return &reply{status: http.StatusNoContent}, nil
	}
	defer c.mu.Unlock()
	if aerr := checkPreconditions(q.r, c.etagString(), true); aerr != nil {
		return nil, aerr
	}
	if c.op != nil {
		return nil, busyError(c)
	}
	c.state = StateDeleting
	for _, p := range c.pools {
		p.state = StateDeleting
	}
	c.touch()
	pl := plan{sub: q.rt.sub}
	pl.add(&part{kind: KindDeleteCluster})
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusAccepted, header: q.lroHeaders(op, true)}, nil
}
