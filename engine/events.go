package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// locker hands out clusters to runs, so that two runs never upgrade one
// cluster at the same time. acquire succeeds when the cluster is free or
// already held by run; otherwise it returns the holder and remembers that
// run waits for it.
type locker interface {
	acquire(clusterID, run string) (holder string, ok bool)
	release(clusterID, run string)
}

// inspected is the result of reading a member's cluster before its turn.
type inspected struct {
	k       mkey
	cluster *cluster.Cluster
	err     error
	// storeErr is a failure of the store during the check (reading the
	// membership, claiming the cluster); the cluster was not looked at.
	storeErr error
	// gone reports that the member was deleted from the fleet.
	gone bool
	// claimedBy is the run that holds the cluster, when another does;
	// the cluster was not read then, and is checked again after
	// claimRetry.
	claimedBy  string
	claimRetry time.Duration
	// ahead reports a read made ahead of the member's turn.
	ahead bool
	// claimed reports that the cluster was claimed in the store for
	// this inspection, at lease epoch claimEpoch (0 without Ownership).
	claimed    bool
	claimEpoch int64
}

// beginFailed reports that the provider did not begin an operation.
type beginFailed struct {
	k    mkey
	opID string
	err  error
}

// finished reports the end of an operation.
type finished struct {
	k    mkey
	opID string
	err  error
	// end is the cluster as the provider read it after the operation
	// ended (cluster.Operation.End), or nil.
	end *cluster.Cluster
}

// selectedImages carries the clusters observed to choose Consistent images.
type selectedImages struct {
	clusters []*cluster.Cluster
}

// onInspected applies an inspection: the member is skipped, held Pending or
// begun, in which case the returned effect begins its upgrade once the
// run is persisted.
func (rs *runState) onInspected(ev inspected, locks locker) []effect {
	k := ev.k
	if !rs.inspecting[k] {
		return nil
	}
	rs.setInspecting(k, false)
	m := rs.member(k)
	rs.touchMember(k)
	defer rs.deriveStage(k.s)
	if rs.verifying[k] {
		rs.onVerified(k, ev, locks)
		return nil
	}
	if rs.phase() != fleet.Running || (m.Status.State != fleet.NotStarted && m.Status.State != fleet.Pending) {
		// Stopped, or skipped, while the cluster was being read.
		locks.release(m.ClusterResourceID, rs.id)
		return nil
	}
	switch {
	case ev.claimedBy != "":
		locks.release(m.ClusterResourceID, rs.id)
		rs.hold(k, claimMessage(ev.claimedBy))
		rs.recheckAt[k] = rs.now.Add(ev.claimRetry)
		return nil
	case ev.gone:
		locks.release(m.ClusterResourceID, rs.id)
		rs.finishMember(m, fleet.Skipped, "member was removed from the fleet before its turn")
		return nil
	case ev.storeErr != nil:
		locks.release(m.ClusterResourceID, rs.id)
		rs.hold(k, fmt.Sprintf("could not check the member in caravan's store: %v; will check again", ev.storeErr))
		return nil
	case ev.err != nil && cluster.ReasonOf(ev.err) == cluster.NotFound:
		locks.release(m.ClusterResourceID, rs.id)
		rs.failMember(k, ev.err)
		return nil
	case ev.err != nil:
		locks.release(m.ClusterResourceID, rs.id)
		rs.hold(k, fmt.Sprintf("could not read the cluster: %v; will check again", ev.err))
		return nil
	}
	rs.noteWindow(k, ev.cluster)
	v := rs.decide(ev.cluster)
	switch v.kind {
	case verdictSkip:
		locks.release(m.ClusterResourceID, rs.id)
		rs.finishMember(m, fleet.Skipped, v.message)
		m.Observed = v.observed
		return nil
	case verdictPending:
		locks.release(m.ClusterResourceID, rs.id)
		rs.hold(k, v.message)
		if !v.until.IsZero() {
			rs.recheckAt[k] = v.until
		}
		return nil
	}
	m.Attempt++
	m.OperationID = fmt.Sprintf("%s-%d-%s", m.Name, m.Attempt, rs.newID())
	target := v.target
	m.Target = &target
	m.Status = fleet.UpdateStatus{State: fleet.Running}
	rs.setStart(&m.Status, rs.now)
	m.Message = v.message
	m.Observed = nil
	delete(rs.recheckAt, k)
	rs.dirty = true
	op := rs.operation(m, false)
	// The upgrade begins from the read the decision was made on.
	op.Basis = ev.cluster.Basis
	return []effect{{kind: effectBegin, k: k, op: op, claimed: ev.claimed, claimEpoch: ev.claimEpoch}}
}

// onBeginFailed applies a provider's refusal to begin: a busy cluster, a
// target not offered yet or a passing fault holds the member Pending; any
// other refusal fails it.
func (rs *runState) onBeginFailed(ev beginFailed, locks locker) {
	m := rs.member(ev.k)
	if m.Status.State != fleet.Running || m.OperationID != ev.opID {
		return
	}
	locks.release(m.ClusterResourceID, rs.id)
	rs.touchMember(ev.k)
	defer rs.deriveStage(ev.k.s)
	switch cluster.ReasonOf(ev.err) {
	case cluster.Busy, cluster.Unavailable, cluster.Transient:
		m.Status.StartTime = nil
		rs.hold(ev.k, fmt.Sprintf("upgrade did not begin: %v; will try again", ev.err))
	default:
		rs.failMember(ev.k, ev.err)
	}
}

// onFinished applies the end of an operation: a failure fails the member;
// a success is not believed yet: the member stays Running, holding its
// cluster, until the cluster has been read and found at the target.
func (rs *runState) onFinished(ev finished, locks locker) {
	m := rs.member(ev.k)
	if m.Status.State != fleet.Running || m.OperationID != ev.opID {
		return
	}
	rs.touchMember(ev.k)
	defer rs.deriveStage(ev.k.s)
	if ev.err != nil {
		locks.release(m.ClusterResourceID, rs.id)
		rs.failMember(ev.k, ev.err)
		return
	}
	rs.verifying[ev.k] = true
}

// onVerified applies the read of a cluster whose upgrade reported success:
// Completed if the cluster is at the target, otherwise Failed with a code
// and a message naming what it shows. A read that failed for a passing
// reason is tried again after the recheck interval.
func (rs *runState) onVerified(k mkey, ev inspected, locks locker) {
	m := rs.member(k)
	if m.Status.State != fleet.Running {
		delete(rs.verifying, k)
		return
	}
	switch {
	case ev.storeErr != nil:
		rs.verifyAt[k] = rs.now.Add(rs.recheck)
		rs.setMessage(m, fmt.Sprintf("upgrade ended; could not check the member in caravan's store: %v; will check again", ev.storeErr))
		return
	case ev.err != nil && cluster.ReasonOf(ev.err) != cluster.NotFound:
		rs.verifyAt[k] = rs.now.Add(rs.recheck)
		rs.setMessage(m, fmt.Sprintf("upgrade ended; could not read the cluster to check it is at the target: %v; will check again", ev.err))
		return
	}
	delete(rs.verifying, k)
	delete(rs.verifyAt, k)
	locks.release(m.ClusterResourceID, rs.id)
	switch {
	case ev.gone:
		rs.finishMember(m, fleet.Skipped, "member was removed from the fleet while its upgrade ran; its cluster was not checked")
		return
	case ev.err != nil:
		rs.failMember(k, ev.err)
		return
	}
	v := rs.verifyMember(m.Target, ev.cluster)
	m.Observed = v.observed
	if v.code != "" {
		rs.failWith(k, &fleet.ErrorDetail{Code: v.code, Message: v.problem + "; the upgrade reported success, but the cluster is not at the target: look at the cluster, then start the run again to retry"},
			"not at the target after its upgrade: "+v.problem)
		return
	}
	rs.finishMember(m, fleet.Completed, v.message)
}

// onSelected records the Consistent node images, or schedules another try
// when no cluster could be read.
func (rs *runState) onSelected(ev selectedImages) {
	rs.selecting = false
	if !rs.needsSelection() {
		return
	}
	rs.noteWindows(ev.clusters)
	if len(ev.clusters) == 0 {
		rs.selectRetryAt = rs.now.Add(rs.recheck)
		return
	}
	rs.status().NodeImageSelection = &fleet.NodeImageSelectionStatus{SelectedNodeImageVersions: consistentImages(ev.clusters)}
	rs.dirty = true
}

// finishMember ends a member Completed or Skipped.
func (rs *runState) finishMember(m *fleet.MemberStatus, s fleet.State, msg string) {
	m.Status.State = s
	m.Status.Error = nil
	rs.setStart(&m.Status, rs.now)
	now := rs.now
	m.Status.CompletedTime = &now
	m.Message = msg
	rs.dirty = true
}

// hold makes a member Pending; it is checked again after the recheck
// interval.
func (rs *runState) hold(k mkey, msg string) {
	rs.touchMember(k)
	m := rs.member(k)
	rs.setState(&m.Status, fleet.Pending)
	rs.setStart(&m.Status, rs.now)
	rs.setMessage(m, msg)
	rs.recheckAt[k] = rs.now.Add(rs.recheck)
}

// failMember fails a member with the provider's error and fails the run:
// no new member starts; the run is Stopping until the members in flight
// end, then Failed.
func (rs *runState) failMember(k mkey, err error) {
	detail := &fleet.ErrorDetail{Code: cluster.CodeOf(err), Message: err.Error()}
	if detail.Code == "" {
		detail.Code = "UpgradeFailed"
	}
	rs.failWith(k, detail, "upgrade failed: "+err.Error())
}

// failWith fails a member with an error and a message, and fails the run.
func (rs *runState) failWith(k mkey, detail *fleet.ErrorDetail, msg string) {
	rs.touchMember(k)
	m := rs.member(k)
	m.Status.State = fleet.Failed
	rs.setStart(&m.Status, rs.now)
	now := rs.now
	m.Status.CompletedTime = &now
	m.Status.Error = detail
	m.Message = msg
	rs.dirty = true
	err := errors.New(detail.Message)
	if detail.Code != "" && !strings.HasPrefix(detail.Message, detail.Code) {
		err = fmt.Errorf("%s: %s", detail.Code, detail.Message)
	}
	if budget := rs.withinBudget(k); budget != "" {
		m.WithinFailureBudget = true
		m.Message = msg + " (" + budget + "; the run goes on)"
		return
	}
	run := &rs.status().Status
	if run.Error == nil {
		run.Error = &fleet.ErrorDetail{
			Code:    "MemberFailed",
			Message: fmt.Sprintf("member %s failed: %s", m.Name, err.Error()),
		}
	}
	if rs.phase() == fleet.Running {
		rs.setState(run, fleet.Stopping)
	}
}

// resumeEffects re-attaches to every operation the run recorded as begun:
// after a restart, or when a runner takes the run over.
func (rs *runState) resumeEffects(locks locker) []effect {
	var out []effect
	rs.each(func(k mkey, m *fleet.MemberStatus) {
		if m.Status.State == fleet.Running && m.OperationID != "" {
			locks.acquire(m.ClusterResourceID, rs.id)
			out = append(out, effect{kind: effectBegin, k: k, op: rs.operation(m, true)})
		}
	})
	return out
}

// nextWake returns the earliest time a Pending member is due for a check.
func (rs *runState) nextRecheck(after time.Time) time.Time {
	var next time.Time
	for _, at := range rs.recheckAt {
		if at.After(after) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}
