// Package fake is a cluster provider held entirely in memory: for tests, and
// for the benchmark calibration that times the engine with no cloud at all.
// Operations end when the test says so (Finish), or at once in Instant
// mode; every Upgrade call is recorded so tests can check that no
// operation was begun twice.
package fake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
	"github.com/caravan-dev/caravan/version"
)

// Provider is the fake cloud. The zero value is not usable; call New.
type Provider struct {
	mu       sync.Mutex
	clusters map[string]*cluster.Cluster // by lower-cased id
	regions  map[string]*Region
	ops      map[string]*op
	order    []string // op ids in the order they were begun
	instant  bool
	failNext map[string]error // cluster id → error for its next begin
	failOps  map[string]error // cluster id → error every operation ends with
	failRead map[string]error // cluster id → error every Describe returns
	began    chan cluster.Operation
	endReads bool // give op.End the cluster after a success
	reads    int  // Describes served
	glances  int  // Glances served
}

// Region is what a region offers.
type Region struct {
	// Versions are the exact Kubernetes versions offered.
	Versions []string
	// Images maps an image family to the newest image offered.
	Images map[string]string
}

type op struct {
	cluster.Operation
	begins  int
	done    bool
	err     error
	waiters []func(error)
}

// New returns an empty fake cloud whose operations wait for Finish.
func New() *Provider {
	return &Provider{
		clusters: map[string]*cluster.Cluster{},
		regions:  map[string]*Region{},
		ops:      map[string]*op{},
		failNext: map[string]error{},
		failOps:  map[string]error{},
		failRead: map[string]error{},
	}
}

// FailDescribe makes every Describe and Glance of the cluster return err,
// until it is called again with nil.
func (p *Provider) FailDescribe(clusterID string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		delete(p.failRead, strings.ToLower(clusterID))
		return
	}
	p.failRead[strings.ToLower(clusterID)] = err
}

// SetEndReads makes a successful operation give its Operation.End the
// cluster as Describe shows it after the operation's end, just before
// done, as the AKS provider does with the read that ends an operation.
func (p *Provider) SetEndReads(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endReads = on
}

// Describes returns how many Describe calls the fake served, read or not.
func (p *Provider) Describes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reads
}

// Glances returns how many Glance calls the fake served, read or not.
func (p *Provider) Glances() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.glances
}

// SetInstant makes every operation end successfully (or with the error set
// by FailOperations) as soon as it begins.
func (p *Provider) SetInstant(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instant = on
}

// NotifyBegin returns a channel that receives every operation as it begins
// (not re-attachments). It must be drained.
func (p *Provider) NotifyBegin(buffer int) <-chan cluster.Operation {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.began = make(chan cluster.Operation, buffer)
	return p.began
}

// SetRegion sets what a region offers.
func (p *Provider) SetRegion(name string, r Region) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := r
	cp.Versions = slices.Clone(r.Versions)
	cp.Images = maps.Clone(r.Images)
	p.regions[name] = &cp
}

// AddCluster adds or replaces a cluster.
func (p *Provider) AddCluster(c cluster.Cluster) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := c
	cp.NodePools = slices.Clone(c.NodePools)
	cp.MaintenanceWindows = maps.Clone(c.MaintenanceWindows)
	p.clusters[strings.ToLower(c.ID)] = &cp
}

// SetWindow gives a cluster a planned maintenance window under the
// configuration name, or removes it when w is nil.
func (p *Provider) SetWindow(id, name string, w *maintenance.Window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.clusters[strings.ToLower(id)]
	if c == nil {
		return
	}
	if w == nil {
		delete(c.MaintenanceWindows, name)
		return
	}
	if c.MaintenanceWindows == nil {
		c.MaintenanceWindows = map[string]maintenance.Window{}
	}
	c.MaintenanceWindows[name] = *w
}

// RemoveCluster deletes a cluster.
func (p *Provider) RemoveCluster(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.clusters, strings.ToLower(id))
}

// SetBusy marks a cluster as running an operation the engine did not begin.
func (p *Provider) SetBusy(id string, busy bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clusters[strings.ToLower(id)]; c != nil {
		c.Busy = busy
	}
}

// FailNextBegin makes the next Upgrade of the cluster return err.
func (p *Provider) FailNextBegin(clusterID string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext[strings.ToLower(clusterID)] = err
}

// FailOperations makes every operation on the cluster end with err (nil
// clears it); it applies to Instant mode and to Finish with a nil error.
func (p *Provider) FailOperations(clusterID string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		delete(p.failOps, strings.ToLower(clusterID))
		return
	}
	p.failOps[strings.ToLower(clusterID)] = err
}

// Describe implements cluster.Provider.
func (p *Provider) Describe(_ context.Context, id string) (*cluster.Cluster, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	return p.readLocked(id)
}

// Glance implements cluster.Glancer: Describe's cluster without its
// maintenance windows.
func (p *Provider) Glance(_ context.Context, id string) (*cluster.Cluster, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.glances++
	c, err := p.readLocked(id)
	if c != nil {
		c.MaintenanceWindows = nil
	}
	return c, err
}

func (p *Provider) readLocked(id string) (*cluster.Cluster, error) {
	if err := p.failRead[strings.ToLower(id)]; err != nil {
		return nil, err
	}
	c := p.clusters[strings.ToLower(id)]
	if c == nil {
		return nil, cluster.Errorf(cluster.NotFound, "ResourceNotFound", "cluster %s not found", id)
	}
	return p.showLocked(c), nil
}

// showLocked is the cluster as Describe shows it, with its region's offers.
func (p *Provider) showLocked(c *cluster.Cluster) *cluster.Cluster {
	out := *c
	out.NodePools = slices.Clone(c.NodePools)
	out.MaintenanceWindows = maps.Clone(c.MaintenanceWindows)
	if r := p.regions[c.Region]; r != nil {
		out.AvailableVersions = slices.Clone(r.Versions)
		for i := range out.NodePools {
			out.NodePools[i].LatestNodeImageVersion = r.Images[out.NodePools[i].ImageFamily()]
		}
	}
	return &out
}

// Upgrade implements cluster.Provider.
func (p *Provider) Upgrade(_ context.Context, o cluster.Operation, done func(error)) error {
	p.mu.Lock()
	if existing := p.ops[o.ID]; existing != nil {
		if existing.done {
			err := existing.err
			p.mu.Unlock()
			go done(err)
			return nil
		}
		existing.waiters = append(existing.waiters, done)
		p.mu.Unlock()
		return nil
	}
	key := strings.ToLower(o.ClusterID)
	c := p.clusters[key]
	if c == nil {
		p.mu.Unlock()
		return cluster.Errorf(cluster.NotFound, "ResourceNotFound", "cluster %s not found", o.ClusterID)
	}
	if err := p.failNext[key]; err != nil {
		delete(p.failNext, key)
		p.mu.Unlock()
		return err
	}
	if c.Busy {
		p.mu.Unlock()
		return cluster.Errorf(cluster.Busy, "OperationNotAllowed", "another operation is in progress on cluster %s", c.Name)
	}
	if err := check(c, o); err != nil {
		p.mu.Unlock()
		return err
	}
	c.Busy = true
	rec := &op{Operation: o, begins: 1, waiters: []func(error){done}}
	p.ops[o.ID] = rec
	p.order = append(p.order, o.ID)
	began := p.began
	instant := p.instant
	p.mu.Unlock()
	if began != nil {
		began <- o
	}
	if instant {
		p.Finish(o.ID, nil)
	}
	return nil
}

// check applies the rules a cloud enforces before an upgrade begins.
func check(c *cluster.Cluster, o cluster.Operation) error {
	if o.Type == cluster.NodeImageOnly {
		return nil
	}
	cur, err := version.ParseKubernetes(c.KubernetesVersion)
	if err != nil {
		return cluster.Errorf(cluster.Rejected, "InvalidVersion", "cluster %s has version %q", c.Name, c.KubernetesVersion)
	}
	want, err := version.ParseKubernetes(o.KubernetesVersion)
	if err != nil {
		return cluster.Errorf(cluster.Rejected, "InvalidVersion", "%v", err)
	}
	switch d := cur.MinorsBetween(want); {
	case want.Compare(cur) < 0:
		return cluster.Errorf(cluster.Rejected, "NotAllowedDowngrade", "cannot downgrade cluster %s from %s to %s", c.Name, cur, want)
	case d > 1:
		return cluster.Errorf(cluster.Rejected, "UpgradeSkipsMinor", "cannot upgrade cluster %s from %s to %s: upgrade one minor version at a time", c.Name, cur, want)
	}
	return nil
}

// Finish ends an in-flight operation with err (nil for success) and applies
// its effect to the cluster on success. Finishing an unknown or finished
// operation does nothing and reports false.
func (p *Provider) Finish(opID string, err error) bool {
	return p.finish(opID, err, nil)
}

// FinishAs ends an operation in success, as a cloud that reports success
// without reaching the target would: the cluster changes as change says
// (nil: not at all), not as the operation asked.
func (p *Provider) FinishAs(opID string, change func(c *cluster.Cluster)) bool {
	if change == nil {
		change = func(*cluster.Cluster) {}
	}
	return p.finish(opID, nil, change)
}

func (p *Provider) finish(opID string, err error, change func(c *cluster.Cluster)) bool {
	p.mu.Lock()
	o := p.ops[opID]
	if o == nil || o.done {
		p.mu.Unlock()
		return false
	}
	c := p.clusters[strings.ToLower(o.ClusterID)]
	if err == nil && c != nil {
		err = p.failOps[strings.ToLower(o.ClusterID)]
	}
	o.done, o.err = true, err
	if c != nil {
		c.Busy = false
		switch {
		case err == nil && change != nil:
			change(c)
		case err == nil:
			p.apply(c, o.Operation)
		}
	}
	waiters := o.waiters
	o.waiters = nil
	var end *cluster.Cluster
	if p.endReads && err == nil && c != nil && o.End != nil {
		end = p.showLocked(c)
	}
	p.mu.Unlock()
	if end != nil {
		o.End(end)
	}
	for _, w := range waiters {
		w(err)
	}
	return true
}

func (p *Provider) apply(c *cluster.Cluster, o cluster.Operation) {
	if o.Type != cluster.NodeImageOnly {
		c.KubernetesVersion = o.KubernetesVersion
	}
	if o.Type == cluster.ControlPlaneOnly {
		return
	}
	r := p.regions[c.Region]
	for i := range c.NodePools {
		pool := &c.NodePools[i]
		if o.Type == cluster.Full {
			pool.KubernetesVersion = o.KubernetesVersion
		}
		latest := ""
		if r != nil {
			latest = r.Images[pool.ImageFamily()]
		}
		if img, ok := o.NodeImages.For(pool.ImageFamily(), latest); ok && version.CompareNodeImages(pool.NodeImageVersion, img) < 0 {
			pool.NodeImageVersion = img
		}
	}
}

// FinishAll ends every in-flight operation with err and returns how many.
func (p *Provider) FinishAll(err error) int {
	n := 0
	for _, id := range p.InFlight() {
		if p.Finish(id, err) {
			n++
		}
	}
	return n
}

// InFlight returns the ids of operations begun and not finished, in the
// order they began.
func (p *Provider) InFlight() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, id := range p.order {
		if !p.ops[id].done {
			out = append(out, id)
		}
	}
	return out
}

// Operation returns a begun operation by id.
func (p *Provider) Operation(id string) (cluster.Operation, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.ops[id]
	if o == nil {
		return cluster.Operation{}, false
	}
	return o.Operation, true
}

// Began returns every operation begun, in order.
func (p *Provider) Began() []cluster.Operation {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]cluster.Operation, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.ops[id].Operation)
	}
	return out
}

// Cluster returns a copy of a cluster's current state.
func (p *Provider) Cluster(id string) (cluster.Cluster, error) {
	c, err := p.Describe(context.Background(), id)
	if err != nil {
		return cluster.Cluster{}, err
	}
	return *c, nil
}

// String summarises the fake for test failure messages.
func (p *Provider) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("fake provider: %d clusters, %d operations", len(p.clusters), len(p.ops))
}
