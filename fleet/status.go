package fleet

import "time"

// State is the state of a run, stage, group, member or wait. See
// docs/engine.md for the transitions.
type State string

// States, as ARM names them.
const (
	NotStarted State = "NotStarted"
	Running    State = "Running"
	Stopping   State = "Stopping"
	Stopped    State = "Stopped"
	Skipped    State = "Skipped"
	Failed     State = "Failed"
	Pending    State = "Pending"
	Completed  State = "Completed"
)

// Finished reports whether a member, group or stage in this state needs no
// more work: Completed or Skipped. Failed is not finished, since starting
// the run again retries it.
func (s State) Finished() bool { return s == Completed || s == Skipped }

// RunStatus is a run's status tree.
type RunStatus struct {
	Status UpdateStatus `json:"status"`
	// FailureCount is how many of the run's members failed, counting
	// those within a failure budget.
	FailureCount int `json:"failureCount,omitempty"`
	// Message says what holds the run up while it runs, such as a cloud
	// that cannot be reached; empty when nothing does. Not part of
	// Azure's API.
	Message            string                    `json:"message,omitempty"`
	Stages             []StageStatus             `json:"stages"`
	NodeImageSelection *NodeImageSelectionStatus `json:"nodeImageSelection,omitempty"`
}

// UpdateStatus is the state of one node of the tree, with its times and
// error.
type UpdateStatus struct {
	State         State        `json:"state"`
	StartTime     *time.Time   `json:"startTime,omitempty"`
	CompletedTime *time.Time   `json:"completedTime,omitempty"`
	Error         *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is ARM's error shape.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// StageStatus is the status of one stage.
type StageStatus struct {
	Name         string       `json:"name"`
	Status       UpdateStatus `json:"status"`
	FailureCount int          `json:"failureCount,omitempty"`
	// MaxConcurrency is the stage's maxConcurrency resolved to a count:
	// how many of its members may upgrade at once across its groups.
	MaxConcurrency       int           `json:"maxConcurrency,omitempty"`
	Groups               []GroupStatus `json:"groups"`
	BeforeGates          []GateStatus  `json:"beforeGates,omitempty"`
	AfterGates           []GateStatus  `json:"afterGates,omitempty"`
	AfterStageWaitStatus *WaitStatus   `json:"afterStageWaitStatus,omitempty"`
}

// GroupStatus is the status of one group.
type GroupStatus struct {
	Name         string       `json:"name"`
	Status       UpdateStatus `json:"status"`
	FailureCount int          `json:"failureCount,omitempty"`
	// MaxConcurrency is the group's maxConcurrency resolved to a count
	// (default 1), never more than its members or its stage's count.
	MaxConcurrency int            `json:"maxConcurrency,omitempty"`
	Members        []MemberStatus `json:"members"`
	BeforeGates    []GateStatus   `json:"beforeGates,omitempty"`
	AfterGates     []GateStatus   `json:"afterGates,omitempty"`
}

// MemberStatus is the status of one member's update.
type MemberStatus struct {
	Name              string       `json:"name"`
	ClusterResourceID string       `json:"clusterResourceId"`
	OperationID       string       `json:"operationId,omitempty"`
	Message           string       `json:"message,omitempty"`
	Status            UpdateStatus `json:"status"`
	// Attempt counts the upgrades begun for this member in this run; it
	// is part of the operation id. Not part of Azure's API.
	Attempt int `json:"attempt,omitempty"`
	// WithinFailureBudget marks a Failed member whose failure its group's
	// or stage's maxAllowedFailures allows: the run went on. Not part of
	// Azure's API.
	WithinFailureBudget bool `json:"withinFailureBudget,omitempty"`
	// Target is what the current attempt moves the cluster to, resolved
	// for this cluster. Not part of Azure's API.
	Target *MemberTarget `json:"target,omitempty"`
	// Observed is the cluster as the provider read it when the member
	// ended Completed (or failed its verification), or was skipped as
	// already at the target: what the cluster shows, not what was asked
	// of it. Not part of Azure's API.
	Observed *ObservedCluster `json:"observed,omitempty"`
}

// ObservedCluster is a member's cluster as its provider read it.
type ObservedCluster struct {
	KubernetesVersion string         `json:"kubernetesVersion,omitempty"`
	NodePools         []ObservedPool `json:"nodePools,omitempty"`
}

// ObservedPool is one node pool as its provider read it.
type ObservedPool struct {
	Name              string `json:"name"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	NodeImageVersion  string `json:"nodeImageVersion,omitempty"`
	// KeptNewerImage reports that the pool was already on a newer image
	// than the run's choice for its family and kept it, since node images
	// never move backwards.
	KeptNewerImage bool `json:"keptNewerImage,omitempty"`
}

// MemberTarget is a member's resolved upgrade target.
type MemberTarget struct {
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// LatestNodeImages means each pool takes its region's newest image.
	LatestNodeImages bool `json:"latestNodeImages,omitempty"`
	// NodeImageVersions maps an image family to the exact version pools
	// of that family end at. With LatestNodeImages it holds the newest
	// image of each family the cluster's region offered when the upgrade
	// began: pools end at it or newer.
	NodeImageVersions map[string]string `json:"nodeImageVersions,omitempty"`
	// KeptNodeImages maps a node pool to the image it keeps: it was
	// already newer than NodeImageVersions' image for its family.
	KeptNodeImages map[string]string `json:"keptNodeImages,omitempty"`
}

// WaitStatus is the status of a stage's after-stage wait.
type WaitStatus struct {
	Status                UpdateStatus `json:"status"`
	WaitDurationInSeconds int          `json:"waitDurationInSeconds"`
	// Deadline is when a running wait ends. Not part of Azure's API.
	Deadline *time.Time `json:"deadline,omitempty"`
	// RemainingMilliseconds is what is left of a wait that was stopped,
	// so that starting the run again resumes it. Not part of Azure's API.
	RemainingMilliseconds int64 `json:"remainingMilliseconds,omitempty"`
}

// NodeImageSelectionStatus records the images a Consistent run chose and,
// for Consistent and Custom runs, the images its members' pools ended
// with.
type NodeImageSelectionStatus struct {
	SelectedNodeImageVersions []NodeImageVersion `json:"selectedNodeImageVersions"`
	// ResultingNodeImageVersions counts, per image, the node pools of
	// the run's finished members that were observed on it: one entry per
	// image when the fleet is consistent. Not part of Azure's API.
	ResultingNodeImageVersions []ImageCount `json:"resultingNodeImageVersions,omitempty"`
	// Message says whether the pools ended consistent and, if not, which
	// kept newer images. Not part of Azure's API.
	Message string `json:"message,omitempty"`
}

// ImageCount is how many observed node pools run one image.
type ImageCount struct {
	Version   string `json:"version"`
	NodePools int    `json:"nodePools"`
}
