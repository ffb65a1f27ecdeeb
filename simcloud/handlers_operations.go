package simcloud

import (
	"net/http"
	"strings"
	"time"
)

// operationStatus is the body of an operation status resource, as the
// Azure-AsyncOperation header points at.
type operationStatus struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	StartTime time.Time  `json:"startTime"`
	EndTime   *time.Time `json:"endTime,omitempty"`
	Error     *armError  `json:"error,omitempty"`
}

// lockOperation finds the request's operation and locks and settles its
// cluster. The caller unlocks op.cluster.mu.
func (cl *Cloud) lockOperation(q *request) (*operation, *armError) {
	op := cl.lookupOperation(strings.ToLower(q.rt.opID))
	if op == nil || !strings.EqualFold(op.sub, q.rt.sub) {
		return nil, newARMError(http.StatusNotFound, CodeNotFound,
			"Operation %s was not found in subscription %s.", q.rt.opID, q.rt.sub)
	}
	op.cluster.mu.Lock()
	cl.settle(op.cluster, q.now)
	return op, nil
}

// getOperationStatus reports InProgress, Succeeded or Failed. While the
// operation runs, retry-after-ms and Retry-After say exactly when it ends.
func (cl *Cloud) getOperationStatus(q *request) (*reply, *armError) {
	op, aerr := cl.lockOperation(q)
	if aerr != nil {
		return nil, aerr
	}
	defer op.cluster.mu.Unlock()
	st := operationStatus{
		ID:        "/subscriptions/" + op.sub + "/providers/" + providerNamespace + "/locations/" + op.region + "/operations/" + op.id,
		Name:      op.id,
		Status:    op.status,
		StartTime: op.start.UTC(),
	}
	if op.status != statusInProgress {
		end := op.endTime.UTC()
		st.EndTime = &end
	}
	if op.status == statusFailed {
		e := *op.failure
		st.Error = &e
	}
	h := map[string]string{}
	q.addPollHint(h, op)
	return &reply{status: http.StatusOK, header: h, body: st}, nil
}

// getOperationResult serves the Location URL of POST and DELETE
// operations: 202 while running, then the resource (200) or nothing
// (204), or the operation's error.
func (cl *Cloud) getOperationResult(q *request) (*reply, *armError) {
	op, aerr := cl.lockOperation(q)
	if aerr != nil {
		return nil, aerr
	}
	c := op.cluster
	defer c.mu.Unlock()
	switch op.status {
	case statusInProgress:
		h := map[string]string{"Location": q.operationURL(op, "operationresults")}
		q.addPollHint(h, op)
		return &reply{status: http.StatusAccepted, header: h}, nil
	case statusFailed:
		e := *op.failure
		return nil, &e
	}
	switch {
	case op.removes || c.deleted:
		return &reply{status: http.StatusNoContent}, nil
	case op.pool != "":
		if p := c.poolByName(op.pool); p != nil {
			return &reply{status: http.StatusOK, body: c.poolToARM(p)}, nil
		}
		return &reply{status: http.StatusNoContent}, nil
	}
	return &reply{status: http.StatusOK, body: c.toARM()}, nil
}
