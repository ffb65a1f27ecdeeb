package fleet

import (
	"strings"
	"time"

	"github.com/caravan-dev/caravan/version"
)

// TypeAutoUpgradeProfile is the ARM type of an auto-upgrade profile.
const TypeAutoUpgradeProfile = "Microsoft.ContainerService/fleets/autoUpgradeProfiles"

// Channel is the release train an auto-upgrade profile follows.
type Channel string

// Channels.
const (
	// ChannelStable takes the newest patch of the minor before the newest
	// (N-1).
	ChannelStable Channel = "Stable"
	// ChannelRapid takes the newest patch of the newest minor (N).
	ChannelRapid Channel = "Rapid"
	// ChannelNodeImage takes the newest node images only.
	ChannelNodeImage Channel = "NodeImage"
	// ChannelTargetKubernetesVersion takes the newest patch of one given
	// minor.
	ChannelTargetKubernetesVersion Channel = "TargetKubernetesVersion"
)

// Channels lists the channels, in the order the API documents them.
var Channels = []Channel{ChannelStable, ChannelRapid, ChannelNodeImage, ChannelTargetKubernetesVersion}

// AutoUpgradeProfile keeps a fleet current: when the cloud publishes a
// release its channel takes, it creates and starts an update run.
type AutoUpgradeProfile struct {
	ID         string                       `json:"id,omitempty"`
	Name       string                       `json:"name,omitempty"`
	Type       string                       `json:"type,omitempty"`
	ETag       string                       `json:"eTag,omitempty"`
	SystemData *SystemData                  `json:"systemData,omitempty"`
	Properties AutoUpgradeProfileProperties `json:"properties"`
}

// AutoUpgradeProfileProperties are a profile's properties.
type AutoUpgradeProfileProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	// UpdateStrategyID names the strategy the profile's runs copy; empty
	// means one stage with one group that upgrades one member at a time.
	UpdateStrategyID string  `json:"updateStrategyId,omitempty"`
	Channel          Channel `json:"channel"`
	// TargetKubernetesVersion is the minor ("1.33") the
	// TargetKubernetesVersion channel follows.
	TargetKubernetesVersion string `json:"targetKubernetesVersion,omitempty"`
	// LongTermSupport lets TargetKubernetesVersion follow a minor that is
	// offered only under long-term support.
	LongTermSupport    bool                           `json:"longTermSupport,omitempty"`
	NodeImageSelection *AutoUpgradeNodeImageSelection `json:"nodeImageSelection,omitempty"`
	// Disabled profiles never trigger; generateUpdateRun still works.
	Disabled bool `json:"disabled,omitempty"`
	// Status is read-only: what the profile's last trigger did.
	Status *AutoUpgradeProfileStatus `json:"autoUpgradeProfileStatus,omitempty"`
}

// AutoUpgradeNodeImageSelection is the node image choice of a profile's
// runs: Latest or Consistent.
type AutoUpgradeNodeImageSelection struct {
	Type NodeImageSelectionType `json:"type"`
}

// TriggerStatus is how a profile's last trigger ended.
type TriggerStatus string

// Trigger outcomes.
const (
	TriggerSucceeded TriggerStatus = "Succeeded"
	TriggerFailed    TriggerStatus = "Failed"
)

// AutoUpgradeProfileStatus is what a profile's last trigger did.
type AutoUpgradeProfileStatus struct {
	LastTriggeredAt   *time.Time    `json:"lastTriggeredAt,omitempty"`
	LastTriggerStatus TriggerStatus `json:"lastTriggerStatus,omitempty"`
	LastTriggerError  *ErrorDetail  `json:"lastTriggerError,omitempty"`
	// LastTriggerUpgradeVersions are the versions the last trigger
	// targeted: a Kubernetes version, or node image versions.
	LastTriggerUpgradeVersions []string `json:"lastTriggerUpgradeVersions,omitempty"`
	// ObservedRelease is caravan's own record of the last release the
	// profile acted on (or first saw), so that a release triggers once.
	ObservedRelease string `json:"observedRelease,omitempty"`
}

// ValidateAutoUpgradeProfile checks a profile's properties; field paths
// start at "properties".
func ValidateAutoUpgradeProfile(p *AutoUpgradeProfileProperties) error {
	found := false
	for _, c := range Channels {
		if strings.EqualFold(string(p.Channel), string(c)) {
			p.Channel, found = c, true
		}
	}
	if !found {
		names := make([]string, len(Channels))
		for i, c := range Channels {
			names[i] = string(c)
		}
		if p.Channel == "" {
			return Invalid("properties.channel", "a channel is required: one of %s", strings.Join(names, ", "))
		}
		return Invalid("properties.channel", "%q is not a channel: use one of %s", p.Channel, strings.Join(names, ", "))
	}
	if p.Channel == ChannelTargetKubernetesVersion {
		if p.TargetKubernetesVersion == "" {
			return Invalid("properties.targetKubernetesVersion", "the TargetKubernetesVersion channel needs a target minor, such as \"1.33\"")
		}
		v, err := version.ParseKubernetes(p.TargetKubernetesVersion)
		if err != nil || v.HasPatch() {
			return Invalid("properties.targetKubernetesVersion", "%q is not a Kubernetes minor: give major.minor, such as \"1.33\"; the channel takes its newest patch", p.TargetKubernetesVersion)
		}
		p.TargetKubernetesVersion = v.MinorString()
	} else {
		if p.TargetKubernetesVersion != "" {
			return Invalid("properties.targetKubernetesVersion", "only the TargetKubernetesVersion channel takes a target; the %s channel chooses its own", p.Channel)
		}
		if p.LongTermSupport {
			return Invalid("properties.longTermSupport", "only the TargetKubernetesVersion channel can follow a long-term support minor")
		}
	}
	if s := p.NodeImageSelection; s != nil {
		switch {
		case strings.EqualFold(string(s.Type), string(NodeImageLatest)):
			s.Type = NodeImageLatest
		case strings.EqualFold(string(s.Type), string(NodeImageConsistent)):
			s.Type = NodeImageConsistent
		default:
			return Invalid("properties.nodeImageSelection.type", "%q is not a node image selection for a profile: use Latest or Consistent", s.Type)
		}
	}
	return nil
}
