package fleet_test

import (
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

func TestValidateAutoUpgradeProfile(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    fleet.AutoUpgradeProfileProperties
		want string
	}{
		{"no channel", fleet.AutoUpgradeProfileProperties{}, "properties.channel: a channel is required"},
		{"unknown channel", fleet.AutoUpgradeProfileProperties{Channel: "Fast"}, `properties.channel: "Fast" is not a channel: use one of Stable, Rapid, NodeImage, TargetKubernetesVersion`},
		{"target without version", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion}, "properties.targetKubernetesVersion: the TargetKubernetesVersion channel needs a target minor"},
		{"target with a patch", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelTargetKubernetesVersion, TargetKubernetesVersion: "1.33.1"}, `properties.targetKubernetesVersion: "1.33.1" is not a Kubernetes minor`},
		{"target on another channel", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelRapid, TargetKubernetesVersion: "1.33"}, "properties.targetKubernetesVersion: only the TargetKubernetesVersion channel takes a target"},
		{"lts on another channel", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelStable, LongTermSupport: true}, "properties.longTermSupport:"},
		{"custom images", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelNodeImage, NodeImageSelection: &fleet.AutoUpgradeNodeImageSelection{Type: fleet.NodeImageCustom}}, "properties.nodeImageSelection.type:"},
		{"valid target", fleet.AutoUpgradeProfileProperties{Channel: "targetkubernetesversion", TargetKubernetesVersion: "1.33", LongTermSupport: true}, ""},
		{"valid node image", fleet.AutoUpgradeProfileProperties{Channel: fleet.ChannelNodeImage, NodeImageSelection: &fleet.AutoUpgradeNodeImageSelection{Type: "consistent"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, fleet.ValidateAutoUpgradeProfile(&tc.p), tc.want)
		})
	}
}
