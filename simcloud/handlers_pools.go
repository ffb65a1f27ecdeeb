package simcloud

import (
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/caravan-dev/caravan/version"
)

func poolNotFound(q *request) *armError {
	return notFound("The agent pool '%s' of managed cluster '%s' under resource group '%s' was not found.", q.rt.pool, q.rt.cluster, q.rt.rg)
}

func (cl *Cloud) getPool(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	p := c.poolByName(q.rt.pool)
	if p == nil {
		return nil, poolNotFound(q)
	}
	return &reply{status: http.StatusOK, body: c.poolToARM(p)}, nil
}

func (cl *Cloud) listPools(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	list := listJSON[*agentPoolJSON]{Value: []*agentPoolJSON{}}
	for _, p := range c.pools {
		list.Value = append(list.Value, c.poolToARM(p))
	}
	return &reply{status: http.StatusOK, body: list}, nil
}

// putPool creates a pool or changes one. A changed orchestratorVersion
// upgrades the pool, moving its node image to the region's newest or, when
// nodeImageVersion is given, to exactly that image. A changed
// nodeImageVersion alone upgrades just the image. Anything else updates.
func (cl *Cloud) putPool(q *request) (*reply, *armError) {
	var ap armcontainerservice.AgentPool
	if aerr := decodeBody(q.r, &ap); aerr != nil {
		return nil, aerr
	}
	props := ap.Properties
	if props == nil {
		props = &armcontainerservice.ManagedClusterAgentPoolProfileProperties{}
	}
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	p := c.poolByName(q.rt.pool)
	etag := ""
	if p != nil {
		etag = p.etagString()
	}
	if aerr := checkPreconditions(q.r, etag, p != nil); aerr != nil {
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
	in := inputFromProperties(q.rt.pool, props)
	f := poolFields{prefix: "properties", versionField: "orchestratorVersion"}
	cp := stored(c.current)
	pl := plan{sub: q.rt.sub}

	if p == nil {
		np, aerr := newPool(cat, ri, in, cp, "User", f, true, false)
		if aerr != nil {
			return nil, aerr
		}
		np.state = StateCreating
		c.pools = append(c.pools, np)
		c.state = StateUpdating
		c.touch()
		pl.pool = np.name
		pl.add(&part{kind: KindCreateAgentPool, pool: np.name, version: np.version, image: np.image})
		op := cl.begin(c, pl, q.now)
		return &reply{status: http.StatusCreated, header: q.lroHeaders(op, false), body: c.poolToARM(np)}, nil
	}

	u, aerr := checkPoolUpdate(p, in, f)
	if aerr != nil {
		return nil, aerr
	}
	if u.mode != "System" && p.mode == "System" && c.systemPools() == 1 {
		return nil, invalidParameter(f.field("mode"), "Node pool %q is the cluster's only System pool and must stay in System mode.", p.name)
	}
	from := stored(p.current)
	to := from
	if in.version != "" {
		if to, aerr = resolveVersion(ri, in.version, f.field("orchestratorVersion"), &cp); aerr != nil {
			return nil, aerr
		}
	}
	var pt *part
	switch {
	case to.Compare(from) != 0:
		if aerr := checkPoolUpgrade(ri, p.name, f.field("orchestratorVersion"), from, to, cp); aerr != nil {
			return nil, aerr
		}
		img, ok := ri.latestImage(p.family())
		if !ok {
			return nil, invalidParameter(f.field("orchestratorVersion"), "Region %s has no %s node images for node pool %q.", ri.name, p.family(), p.name)
		}
		if in.image != "" {
			if img, aerr = cl.pinnedImage(cat, ri, p, in.image, f); aerr != nil {
				return nil, aerr
			}
		}
		pt = &part{kind: KindUpgradeAgentPool, pool: p.name, version: to.String(), image: img.String()}
	case in.image != "" && version.CompareNodeImages(in.image, p.image) != 0:
		img, aerr := cl.pinnedImage(cat, ri, p, in.image, f)
		if aerr != nil {
			return nil, aerr
		}
		pt = &part{kind: KindUpgradeNodeImage, pool: p.name, image: img.String()}
	}

	u.apply(p)
	pl.pool = p.name
	switch {
	case pt == nil:
		p.state = StateUpdating
		c.state = StateUpdating
		pl.add(&part{kind: KindUpdateAgentPool, pool: p.name})
	case pt.kind == KindUpgradeAgentPool:
		pl.prevPoolVersions = map[string]string{p.name: p.version}
		p.version = pt.version
		p.state = StateUpgrading
		c.state = StateUpgrading
		pl.add(pt)
	default:
		p.state = StateUpgradingNodeImageVersion
		c.state = StateUpgrading
		pl.add(pt)
	}
	c.touch()
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusOK, header: q.lroHeaders(op, false), body: c.poolToARM(p)}, nil
}

// pinnedImage checks an image a request pins a pool to.
func (cl *Cloud) pinnedImage(cat *catalogIndex, ri *regionIndex, p *pool, img string, f poolFields) (version.NodeImage, *armError) {
	target := f.field("nodeImageVersion")
	n, aerr := checkImage(cat, ri, p.name, p.family(), img, target)
	if aerr != nil {
		return n, aerr
	}
	return n, checkImageUpgrade(p.name, target, p.image, n)
}

// upgradeNodeImage serves upgradeNodeImageVersion: the pool moves to its
// region's newest image of its family.
func (cl *Cloud) upgradeNodeImage(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	p := c.poolByName(q.rt.pool)
	if p == nil {
		return nil, poolNotFound(q)
	}
	if c.op != nil {
		return nil, busyError(c)
	}
	cat := cl.catalog.Load()
	ri := cat.region(c.region)
	if ri == nil {
		return nil, unknownRegion(cat, c.region)
	}
	img, ok := ri.latestImage(p.family())
	if !ok {
		return nil, badRequest(CodeNodeImageNotSupported, "Region %s has no %s node images for node pool %q.", ri.name, p.family(), p.name)
	}
	p.state = StateUpgradingNodeImageVersion
	p.etag++
	c.state = StateUpgrading
	c.touch()
	pl := plan{sub: q.rt.sub, pool: p.name}
	pl.add(&part{kind: KindUpgradeNodeImage, pool: p.name, image: img.String()})
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusAccepted, header: q.lroHeaders(op, true), body: c.poolToARM(p)}, nil
}

func (cl *Cloud) deletePool(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	p := c.poolByName(q.rt.pool)
	if p == nil {
		return &reply{status: http.StatusNoContent}, nil
	}
	if aerr := checkPreconditions(q.r, p.etagString(), true); aerr != nil {
		return nil, aerr
	}
	if c.op != nil {
		return nil, busyError(c)
	}
	if p.mode == "System" && c.systemPools() == 1 {
		return nil, badRequest(CodeOperationNotAllowed, "Node pool %q is the only System pool of managed cluster %q and cannot be deleted.", p.name, c.name)
	}
	p.state = StateDeleting
	p.etag++
	c.state = StateUpdating
	c.touch()
	pl := plan{sub: q.rt.sub, pool: p.name}
	pl.add(&part{kind: KindDeleteAgentPool, pool: p.name})
	op := cl.begin(c, pl, q.now)
	return &reply{status: http.StatusAccepted, header: q.lroHeaders(op, true)}, nil
}
