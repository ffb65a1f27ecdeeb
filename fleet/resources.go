package fleet

import "time"

// Resource types as ARM names them.
const (
	TypeFleet          = "Microsoft.ContainerService/fleets"
	TypeMember         = "Microsoft.ContainerService/fleets/members"
	TypeUpdateStrategy = "Microsoft.ContainerService/fleets/updateStrategies"
	TypeUpdateRun      = "Microsoft.ContainerService/fleets/updateRuns"
)

// ProvisioningSucceeded is the provisioning state of every resource caravan
// has accepted; caravan creates resources synchronously.
const ProvisioningSucceeded = "Succeeded"

// SystemData is ARM's creation and modification record.
type SystemData struct {
	CreatedBy          string     `json:"createdBy,omitempty"`
	CreatedByType      string     `json:"createdByType,omitempty"`
	CreatedAt          *time.Time `json:"createdAt,omitempty"`
	LastModifiedBy     string     `json:"lastModifiedBy,omitempty"`
	LastModifiedByType string     `json:"lastModifiedByType,omitempty"`
	LastModifiedAt     *time.Time `json:"lastModifiedAt,omitempty"`
}

// Fleet groups member clusters.
type Fleet struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Type       string            `json:"type,omitempty"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	ETag       string            `json:"eTag,omitempty"`
	SystemData *SystemData       `json:"systemData,omitempty"`
	Properties FleetProperties   `json:"properties"`
}

// FleetProperties are a fleet's properties. Caravan has no hub cluster, so
// it keeps none of the hub settings.
type FleetProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	// Status is read-only: the last operation on the fleet.
	Status *OperationStatus `json:"status,omitempty"`
}

// OperationStatus is a fleet's or member's status: the last write
// operation on it, and its error if it failed.
type OperationStatus struct {
	// LastOperationID is the request id (x-ms-request-id) of the last
	// write to the resource, applied or refused.
	LastOperationID string `json:"lastOperationId,omitempty"`
	// LastOperationError is why that write was refused; empty when it
	// was applied.
	LastOperationError *ErrorDetail `json:"lastOperationError,omitempty"`
}

// Member is a cluster that belongs to a fleet.
type Member struct {
	ID         string           `json:"id,omitempty"`
	Name       string           `json:"name,omitempty"`
	Type       string           `json:"type,omitempty"`
	ETag       string           `json:"eTag,omitempty"`
	SystemData *SystemData      `json:"systemData,omitempty"`
	Properties MemberProperties `json:"properties"`
}

// MemberProperties are a member's properties.
type MemberProperties struct {
	// ClusterResourceID is the ARM id of the member's cluster; it is set
	// at creation and never changes.
	ClusterResourceID string `json:"clusterResourceId"`
	// Group is the update group the member belongs to, if any.
	Group string `json:"group,omitempty"`
	// Labels are free-form key/value pairs (newer API versions).
	Labels            map[string]string `json:"labels,omitempty"`
	ProvisioningState string            `json:"provisioningState,omitempty"`
	// Status is read-only: the last operation on the member.
	Status *OperationStatus `json:"status,omitempty"`
	// Cluster is what caravan last observed of the member's cluster. It is
	// read-only and not part of Azure's API; clients that do not know it
	// ignore it.
	Cluster *ClusterInfo `json:"cluster,omitempty"`
}

// ClusterInfo is the observed state of a member's cluster.
type ClusterInfo struct {
	Region            string   `json:"region,omitempty"`
	KubernetesVersion string   `json:"kubernetesVersion,omitempty"`
	NodeImageVersions []string `json:"nodeImageVersions,omitempty"`
	// NodePools are the cluster's node pools, in name order.
	NodePools         []PoolInfo `json:"nodePools,omitempty"`
	ProvisioningState string     `json:"provisioningState,omitempty"`
	ObservedAt        *time.Time `json:"observedAt,omitempty"`
	Error             string     `json:"error,omitempty"`
}

// PoolInfo is the observed state of one node pool of a member's cluster.
type PoolInfo struct {
	Name              string `json:"name"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	NodeImageVersion  string `json:"nodeImageVersion,omitempty"`
}

// UpdateStrategy is a reusable template of stages for update runs.
type UpdateStrategy struct {
	ID         string                   `json:"id,omitempty"`
	Name       string                   `json:"name,omitempty"`
	Type       string                   `json:"type,omitempty"`
	ETag       string                   `json:"eTag,omitempty"`
	SystemData *SystemData              `json:"systemData,omitempty"`
	Properties UpdateStrategyProperties `json:"properties"`
}

// UpdateStrategyProperties are a strategy's properties.
type UpdateStrategyProperties struct {
	Strategy          RunStrategy `json:"strategy"`
	ProvisioningState string      `json:"provisioningState,omitempty"`
}

// RunStrategy orders a run: its stages run one after another.
type RunStrategy struct {
	Stages []Stage `json:"stages"`
}

// Stage is a set of groups updated in parallel, followed by an optional
// wait before the next stage.
type Stage struct {
	Name   string  `json:"name"`
	Groups []Group `json:"groups"`
	// AfterStageWaitInSeconds is the wait after the stage's last group
	// finishes and before the next stage starts.
	AfterStageWaitInSeconds int `json:"afterStageWaitInSeconds,omitempty"`
	// MaxConcurrency caps the members upgrading at once across all of the
	// stage's groups: a count ("3") or a percentage of the stage's
	// members ("25%"). Empty means no cap beyond the groups' own.
	MaxConcurrency string `json:"maxConcurrency,omitempty"`
	// MaxAllowedFailures is how many of the stage's members may fail
	// without failing the run: a count ("1") or a percentage of the
	// stage's members ("10%"). Empty allows none.
	MaxAllowedFailures string `json:"maxAllowedFailures,omitempty"`
	// MemberSelector narrows the members every group of the stage takes
	// to those whose labels match.
	MemberSelector *MemberSelector `json:"memberSelector,omitempty"`
	// BeforeGates must all be completed before the stage's groups start;
	// AfterGates, and the wait, after they finish.
	BeforeGates []GateConfiguration `json:"beforeGates,omitempty"`
	AfterGates  []GateConfiguration `json:"afterGates,omitempty"`
}

// Group names the members (those whose group property matches) that a
// stage updates.
type Group struct {
	Name string `json:"name"`
	// MaxConcurrency is how many of the group's members upgrade at once:
	// a count or a percentage of the group's members, default 1.
	MaxConcurrency string `json:"maxConcurrency,omitempty"`
	// MaxAllowedFailures is how many of the group's members may fail
	// without failing the run: a count or a percentage of the group's
	// members. Empty allows none.
	MaxAllowedFailures string `json:"maxAllowedFailures,omitempty"`
	// MemberSelector, when set, takes the members whose labels match
	// instead of those whose group property names the group.
	MemberSelector *MemberSelector `json:"memberSelector,omitempty"`
	// BeforeGates must all be completed before the group's members
	// start; AfterGates before the group is finished.
	BeforeGates []GateConfiguration `json:"beforeGates,omitempty"`
	AfterGates  []GateConfiguration `json:"afterGates,omitempty"`
}

// UpdateRun is one upgrade applied to a fleet's members.
type UpdateRun struct {
	ID         string              `json:"id,omitempty"`
	Name       string              `json:"name,omitempty"`
	Type       string              `json:"type,omitempty"`
	ETag       string              `json:"eTag,omitempty"`
	SystemData *SystemData         `json:"systemData,omitempty"`
	Properties UpdateRunProperties `json:"properties"`
}

// UpdateRunProperties are a run's properties.
type UpdateRunProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	// UpdateStrategyID names the strategy the run's stages were copied
	// from at creation.
	UpdateStrategyID string `json:"updateStrategyId,omitempty"`
	// AutoUpgradeProfileID names the auto-upgrade profile that generated
	// the run, if one did; it is read-only.
	AutoUpgradeProfileID string `json:"autoUpgradeProfileId,omitempty"`
	// Strategy is the run's own copy of its stages.
	Strategy             *RunStrategy         `json:"strategy,omitempty"`
	ManagedClusterUpdate ManagedClusterUpdate `json:"managedClusterUpdate"`
	// Status is read-only: caravan's engine writes it.
	Status *RunStatus `json:"status,omitempty"`
}

// ManagedClusterUpdate is the change a run applies to each cluster.
type ManagedClusterUpdate struct {
	Upgrade            UpgradeSpec         `json:"upgrade"`
	NodeImageSelection *NodeImageSelection `json:"nodeImageSelection,omitempty"`
}

// UpgradeType is Full, ControlPlaneOnly or NodeImageOnly.
type UpgradeType string

// Upgrade types.
const (
	UpgradeFull             UpgradeType = "Full"
	UpgradeControlPlaneOnly UpgradeType = "ControlPlaneOnly"
	UpgradeNodeImageOnly    UpgradeType = "NodeImageOnly"
)

// UpgradeSpec says what to upgrade and to which Kubernetes version.
type UpgradeSpec struct {
	Type UpgradeType `json:"type"`
	// KubernetesVersion is "1.30.4" (exact) or "1.30" (the newest 1.30
	// patch available to each cluster).
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
}

// NodeImageSelectionType is Latest, Consistent or Custom.
type NodeImageSelectionType string

// Node image selection types.
const (
	NodeImageLatest     NodeImageSelectionType = "Latest"
	NodeImageConsistent NodeImageSelectionType = "Consistent"
	NodeImageCustom     NodeImageSelectionType = "Custom"
)

// NodeImageSelection says which node images clusters end at.
type NodeImageSelection struct {
	Type                    NodeImageSelectionType `json:"type"`
	CustomNodeImageVersions []NodeImageVersion     `json:"customNodeImageVersions,omitempty"`
}

// NodeImageVersion is one node image version.
type NodeImageVersion struct {
	Version string `json:"version"`
}

// SelectionType returns the run's node image selection, Latest when unset.
func (u ManagedClusterUpdate) SelectionType() NodeImageSelectionType {
	if u.NodeImageSelection == nil || u.NodeImageSelection.Type == "" {
		return NodeImageLatest
	}
	return u.NodeImageSelection.Type
}

// SkipTargetType is what a skip request names.
type SkipTargetType string

// Skip target types.
const (
	SkipMember         SkipTargetType = "Member"
	SkipGroup          SkipTargetType = "Group"
	SkipStage          SkipTargetType = "Stage"
	SkipAfterStageWait SkipTargetType = "AfterStageWait"
)

// SkipTarget names one thing to skip; for AfterStageWait the name is the
// stage's.
type SkipTarget struct {
	Type SkipTargetType `json:"type"`
	Name string         `json:"name"`
}

// SkipProperties is the body of a skip request.
type SkipProperties struct {
	Targets []SkipTarget `json:"targets"`
}
