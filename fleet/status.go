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
	Name                 string        `json:"name"`
	Status               UpdateStatus  `json:"status"`
	Groups               []GroupStatus `json:"groups"`
	AfterStageWaitStatus *WaitStatus   `json:"afterStageWaitStatus,omitempty"`
}

// GroupStatus is the status of one group.
type GroupStatus struct {
	Name    string         `json:"name"`
	Status  UpdateStatus   `json:"status"`
	Members []MemberStatus `json:"members"`
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
	// Target is what the current attempt moves the cluster to, resolved
	// for this cluster. Not part of Azure's API.
	Target *MemberTarget `json:"target,omitempty"`
}

// MemberTarget is a member's resolved upgrade target.
type MemberTarget struct {
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// LatestNodeImages means each pool takes its region's newest image.
	LatestNodeImages bool `json:"latestNodeImages,omitempty"`
	// NodeImageVersions maps an image family to the exact version.
	NodeImageVersions map[string]string `json:"nodeImageVersions,omitempty"`
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

// NodeImageSelectionStatus records the images a Consistent run chose.
type NodeImageSelectionStatus struct {
	SelectedNodeImageVersions []NodeImageVersion `json:"selectedNodeImageVersions"`
}
