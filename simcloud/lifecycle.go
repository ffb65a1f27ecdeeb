package simcloud

import (
	"net/http"
	"strings"
	"time"
)

// plan is an accepted request, ready to run as an operation: its parts in
// order and how to undo desired versions if it fails.
type plan struct {
	sub              string
	pool             string
	parts            []*part
	prevVersion      string
	prevPoolVersions map[string]string
}

func (p *plan) add(pt *part) { p.parts = append(p.parts, pt) }

// hasUpgrade reports whether any part is an upgrade.
func (p *plan) hasUpgrade() bool {
	for _, pt := range p.parts {
		if pt.kind.isUpgrade() {
			return true
		}
	}
	return false
}

// begin starts the operation for an accepted plan on c, whose lock the
// caller holds and whose desired state the caller has already set. The
// operation's parts are timed from the cluster's tags or realistic
// durations. Even a zero-length upgrade is still running when begin
// returns: the response that began it shows it under way (201 or 202 with
// an operation to poll, or 200 with a provisioning state that is not
// terminal, as ARM answers an update), and it ends at the first look after
// that, a poll or a GET, so clients follow every upgrade the way they
// follow one on Azure. Another zero-length operation (a tags-only update)
// has finished when begin returns.
func (cl *Cloud) begin(c *cluster, pl plan, now time.Time) *operation {
	seq := cl.seq.Add(1)
	// The plan's subscription is cut from the request's path: kept as it
	// is, it would keep the request line for as long as the operation.
	sub := c.sub
	if pl.sub != c.sub {
		sub = strings.Clone(pl.sub)
	}
	op := &operation{
		id:               operationID(cl.opts.Seed, seq),
		sub:              sub,
		region:           c.region,
		cluster:          c,
		pool:             pl.pool,
		start:            now,
		parts:            pl.parts,
		prevVersion:      pl.prevVersion,
		prevPoolVersions: pl.prevPoolVersions,
		status:           statusInProgress,
	}
	op.removes = op.deletesCluster() || op.deletesPool()
	if pl.hasUpgrade() && failUpgradeTag(c.tags) {
		op.failure = simulatedFailure(c.name)
	}
	durations := cl.partDurations(c, op.parts, seq)
	at := now
	recs := make([]*record, len(op.parts))
	for i, p := range op.parts {
		at = at.Add(durations[i])
		p.end = at
		p.rec = &record{cluster: c, op: Operation{
			OperationID: op.id,
			Cluster:     c.id,
			AgentPool:   p.pool,
			Kind:        p.kind,
			Start:       now,
			Result:      ResultRunning,
		}}
		switch p.kind {
		case KindUpgradeNodeImage:
			p.rec.op.Target = p.image
		default:
			p.rec.op.Target = p.version
			p.rec.op.NodeImageVersion = p.image
		}
		recs[i] = p.rec
	}
	op.end = at
	c.op = op
	cl.ops.Store(op.id, op)
	cl.log.append(recs)
	if !pl.hasUpgrade() {
		cl.settle(c, now)
	}
	if op.status == statusInProgress && !cl.closed.Load() {
		op.timer = time.AfterFunc(op.end.Sub(now), func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			cl.settle(c, cl.now())
		})
	}
	return op
}

// settle brings c up to date at now: every part of its running operation
// whose time has come takes effect, and the operation finishes when its
// last part has. Callers hold c.mu; every read of a cluster settles it
// first, which is what makes completion lazy and exact.
func (cl *Cloud) settle(c *cluster, now time.Time) {
	op := c.op
	if op == nil {
		return
	}
	for _, p := range op.parts {
		if p.done {
			continue
		}
		if p.end.After(now) {
			return
		}
		completePart(c, op, p)
	}
	cl.finish(c, op)
}

// completePart applies one finished part, or records its failure.
func completePart(c *cluster, op *operation, p *part) {
	p.done = true
	rec := &p.rec.op
	rec.End = p.end
	if op.failure != nil {
		rec.Result = ResultFailed
		rec.Error = &OperationError{Code: op.failure.Code, Message: op.failure.Message}
		return
	}
	rec.Result = ResultSucceeded
	switch p.kind {
	case KindUpgradeControlPlane:
		c.current = p.version
	case KindUpgradeAgentPool:
		if pl := c.poolByName(p.pool); pl != nil {
			pl.current = p.version
			pl.image = p.image
			pl.etag++
		}
	case KindUpgradeNodeImage:
		if pl := c.poolByName(p.pool); pl != nil {
			pl.image = p.image
			pl.etag++
		}
	}
	c.touch()
}

// finish ends the operation: provisioning states settle, a failed
// operation restores the desired versions, a delete removes what it
// deleted.
func (cl *Cloud) finish(c *cluster, op *operation) {
	op.endTime = op.end
	involved := op.poolsInvolved(c)
	if op.failure != nil {
		op.status = statusFailed
		c.state = StateFailed
		if op.prevVersion != "" {
			c.version = op.prevVersion
		}
		for name, v := range op.prevPoolVersions {
			if p := c.poolByName(name); p != nil {
				p.version = v
			}
		}
		for _, name := range involved {
			if p := c.poolByName(name); p != nil {
				p.state = StateFailed
				p.etag++
			}
		}
	} else {
		op.status = statusSucceeded
		switch {
		case op.deletesCluster():
			c.deleted = true
			cl.clusters.remove(c)
		case op.deletesPool():
			c.removePool(op.pool)
		}
		c.state = StateSucceeded
		for _, name := range involved {
			if p := c.poolByName(name); p != nil {
				p.state = StateSucceeded
				p.etag++
			}
		}
	}
	c.op = nil
	c.touch()
	if op.timer != nil {
		op.timer.Stop()
	}
	// A finished operation is kept for its status and result, as long as
	// the cloud runs: what only a running one needs goes.
	op.timer = nil
	op.parts = nil
	op.prevVersion, op.prevPoolVersions = "", nil
}

// simulatedFailure is the error an upgrade on a cluster tagged
// sim-fail-upgrade=true ends with.
func simulatedFailure(clusterName string) *armError {
	return newARMError(http.StatusBadRequest, CodeSimulatedUpgradeFailure,
		"The upgrade of managed cluster %q failed because the cluster has the tag %s=true, which makes the simulator fail its upgrades. Remove the tag or set it to false, then retry the upgrade.",
		clusterName, TagFailUpgrade)
}
