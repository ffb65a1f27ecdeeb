package simcloud

import (
	"time"
)

// OperationKind names what one recorded operation did.
type OperationKind string

// The kinds of recorded operations.
const (
	KindCreateCluster       OperationKind = "CreateCluster"
	KindUpdateCluster       OperationKind = "UpdateCluster"
	KindDeleteCluster       OperationKind = "DeleteCluster"
	KindUpgradeControlPlane OperationKind = "UpgradeControlPlane"
	KindCreateAgentPool     OperationKind = "CreateAgentPool"
	KindUpdateAgentPool     OperationKind = "UpdateAgentPool"
	KindDeleteAgentPool     OperationKind = "DeleteAgentPool"
	KindUpgradeAgentPool    OperationKind = "UpgradeAgentPool"
	KindUpgradeNodeImage    OperationKind = "UpgradeNodeImage"
)

// isUpgrade reports whether the kind is an upgrade, which the
// sim-fail-upgrade tag makes fail.
func (k OperationKind) isUpgrade() bool {
	return k == KindUpgradeControlPlane || k == KindUpgradeAgentPool || k == KindUpgradeNodeImage
}

// OperationResult is where a recorded operation stands.
type OperationResult string

// The results of recorded operations.
const (
	ResultRunning   OperationResult = "Running"
	ResultSucceeded OperationResult = "Succeeded"
	ResultFailed    OperationResult = "Failed"
)

// Operation is the record of one thing the simulator did to a cluster: its
// control plane, one of its pools, or the cluster as a whole. One ARM
// request can record several: a managed cluster PUT that upgrades the
// control plane and two pools records three operations that share an
// OperationID, run one after another (control plane first) and end at
// their own times.
type Operation struct {
	// OperationID is the id of the ARM long-running operation this is
	// part of, as served under .../locations/{region}/operations/{id}.
	OperationID string `json:"operationId"`
	// Cluster is the managed cluster's ARM id.
	Cluster string `json:"cluster"`
	// AgentPool names the pool for pool operations.
	AgentPool string        `json:"agentPool,omitempty"`
	Kind      OperationKind `json:"kind"`
	// Target is the Kubernetes version (cluster and pool creation and
	// upgrades) or node image version (UpgradeNodeImage) it moves to.
	Target string `json:"target,omitempty"`
	// NodeImageVersion is the node image an UpgradeAgentPool or
	// CreateAgentPool moves the pool to.
	NodeImageVersion string `json:"nodeImageVersion,omitempty"`
	// Start is when the request was accepted; End when this part
	// finished (zero while it runs).
	Start  time.Time       `json:"start"`
	End    time.Time       `json:"end,omitzero"`
	Result OperationResult `json:"result"`
	// Error says why a Failed operation failed.
	Error *OperationError `json:"error,omitempty"`
}

// OperationError is the ARM error a failed operation ended with.
type OperationError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// OperationFilter selects recorded operations. Cluster matches a
// cluster's ARM id (case-insensitively) or its name; Kind matches exactly.
// Empty fields match everything.
type OperationFilter struct {
	Cluster string
	Kind    OperationKind
}

// ARM long-running operation states, as the operation status resource
// reports them.
const (
	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
)

// operation is one ARM long-running operation: what a single PUT, POST,
// PATCH or DELETE started. Its fields are guarded by its cluster's mu,
// except the immutable ones set at creation.
type operation struct {
	id      string
	sub     string
	region  string
	cluster *cluster
	// pool is set for operations on one agent pool; their final result
	// (operationresults) is that pool.
	pool  string
	start time.Time
	end   time.Time
	// parts are its steps, while it runs; once it finished, their
	// records in the cloud's log say what they did.
	parts []*part
	// removes is set when it deletes its cluster or a pool: it finishes
	// with no resource to show.
	removes bool
	// failure, when set, is the error every part ends with.
	failure *armError
	// prevVersion and prevPoolVersions are the desired versions before
	// the operation, restored when it fails.
	prevVersion      string
	prevPoolVersions map[string]string

	status  string
	endTime time.Time
	timer   stopper
}

// stopper is the part of *time.Timer an operation needs.
type stopper interface{ Stop() bool }

// part is one recorded step of an operation. Parts run one after another;
// each ends at its own time.
type part struct {
	kind    OperationKind
	pool    string
	version string // Kubernetes version it moves to
	image   string // node image it moves to
	end     time.Time
	done    bool
	rec     *record
}

// record is a recorded Operation with the cluster whose lock guards it.
type record struct {
	cluster *cluster
	op      Operation
}

// remaining is how long the operation still runs after now.
func (o *operation) remaining(now time.Time) time.Duration {
	if o.status != statusInProgress {
		return 0
	}
	if d := o.end.Sub(now); d > 0 {
		return d
	}
	return 0
}

// deletesCluster reports whether the operation deletes its cluster.
func (o *operation) deletesCluster() bool {
	return len(o.parts) == 1 && o.parts[0].kind == KindDeleteCluster
}

// deletesPool reports whether the operation deletes its pool.
func (o *operation) deletesPool() bool {
	return len(o.parts) == 1 && o.parts[0].kind == KindDeleteAgentPool
}

// poolsInvolved lists the pools the operation works on: every pool of a
// cluster it creates, else the pools its parts name.
func (o *operation) poolsInvolved(c *cluster) []string {
	var out []string
	for _, p := range o.parts {
		if p.kind == KindCreateCluster {
			out = out[:0]
			for _, pl := range c.pools {
				out = append(out, pl.name)
			}
			return out
		}
		if p.pool != "" {
			out = append(out, p.pool)
		}
	}
	return out
}
