package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

func (a *app) profileCmd() *cobra.Command {
	c := group("autoupgradeprofile", "Create, show, list and delete auto-upgrade profiles, and generate runs from them", `  caravan autoupgradeprofile create -g prod -f fleet-1 -n nightly --channel NodeImage
  caravan autoupgradeprofile generate-update-run -g prod -f fleet-1 -n nightly`,
		a.profileCreateCmd(), a.profileShowCmd(), a.profileListCmd(),
		a.childDeleteCmd("auto-upgrade profile", "Delete an auto-upgrade profile (the runs it made stay)",
			`  caravan autoupgradeprofile delete -g prod -f fleet-1 -n nightly`, (*client.Client).DeleteAutoUpgradeProfile),
		a.profileGenerateCmd())
	a.addAPIFlags(c)
	a.addFleetFlags(c)
	return c
}

func (a *app) profileCreateCmd() *cobra.Command {
	var name, channel, target, strategy, images, ifMatch string
	var lts, disabled bool
	c := &cobra.Command{
		Use:   "create",
		Short: "Create an auto-upgrade profile, or replace its settings",
		Long: `Create an auto-upgrade profile, or replace its settings. When the cloud
publishes a release the profile's channel takes, caravan creates and starts
an update run for it, once per release:

  Stable                   the newest patch of the minor before the newest
  Rapid                    the newest patch of the newest minor
  NodeImage                the newest node images, Kubernetes unchanged
  TargetKubernetesVersion  the newest patch of --target-kubernetes-version

Runs follow --update-strategy-id (a strategy of the same fleet); without one,
they upgrade one member at a time. A disabled profile never triggers, but
generate-update-run still creates a run from it.`,
		Example: `  caravan autoupgradeprofile create -g prod -f fleet-1 -n nightly --channel NodeImage
  caravan autoupgradeprofile create -g prod -f fleet-1 -n pin-133 --channel TargetKubernetesVersion --target-kubernetes-version 1.33 \
    --update-strategy-id $(caravan updatestrategy show -g prod -f fleet-1 -n safe -o json | jq -r .id)`,
		Args: noArgs("name the profile with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "auto-upgrade profile"); err != nil {
				return err
			}
			if err := need(cmd, "channel", channel, "give one of Stable, Rapid, NodeImage, TargetKubernetesVersion"); err != nil {
				return err
			}
			p := fleet.AutoUpgradeProfileProperties{
				Channel:                 fleet.Channel(channel),
				TargetKubernetesVersion: target,
				LongTermSupport:         lts,
				UpdateStrategyID:        strategy,
				Disabled:                disabled,
			}
			if images != "" {
				p.NodeImageSelection = &fleet.AutoUpgradeNodeImageSelection{Type: fleet.NodeImageSelectionType(images)}
			}
			// Checked here too, so a mistake names the flag.
			if err := fleet.ValidateAutoUpgradeProfile(&p); err != nil {
				return flagError(err)
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			out, err := cl.PutAutoUpgradeProfile(cmd.Context(), ref, name, p, client.IfMatch(ifMatch))
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "auto-upgrade profile", "", "autoupgradeprofile")
			}
			return a.emit(cmd.OutOrStdout(), out, func(w io.Writer) error { return renderProfile(w, out) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the auto-upgrade profile: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&channel, "channel", "", "Stable, Rapid, NodeImage or TargetKubernetesVersion")
	c.Flags().StringVar(&target, "target-kubernetes-version", "", "the minor the TargetKubernetesVersion channel follows, such as 1.33")
	c.Flags().BoolVar(&lts, "long-term-support", false, "let TargetKubernetesVersion follow a long-term support minor")
	c.Flags().StringVar(&strategy, "update-strategy-id", "", "ARM id of an update strategy of the same fleet (default: one member at a time)")
	c.Flags().StringVar(&images, "node-image-selection", "", "Latest (default) or Consistent")
	c.Flags().BoolVar(&disabled, "disabled", false, "create the profile disabled: it never triggers")
	c.Flags().StringVar(&ifMatch, "if-match", "", "replace the profile only if its ETag is this")
	return c
}

// flagError words a profile validation error by its flag.
func flagError(err error) error {
	flags := map[string]string{
		"properties.channel":                 "--channel",
		"properties.targetKubernetesVersion": "--target-kubernetes-version",
		"properties.longTermSupport":         "--long-term-support",
		"properties.nodeImageSelection.type": "--node-image-selection",
	}
	var fe *fleet.Error
	if e, ok := err.(*fleet.Error); ok {
		fe = e
	}
	if fe == nil || flags[fe.Field] == "" {
		return err
	}
	return fmt.Errorf("%s%s", flags[fe.Field], strings.TrimPrefix(fe.Message, fe.Field))
}

func (a *app) profileShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:     "show",
		Short:   "Show an auto-upgrade profile and what its last trigger did",
		Example: `  caravan autoupgradeprofile show -g prod -f fleet-1 -n nightly`,
		Args:    noArgs("name the profile with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "auto-upgrade profile"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			p, err := cl.GetAutoUpgradeProfile(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "auto-upgrade profile", name, "autoupgradeprofile")
			}
			return a.emit(cmd.OutOrStdout(), p, func(w io.Writer) error { return renderProfile(w, p) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the auto-upgrade profile: 1 to 50 lower-case letters, digits and dashes")
	return c
}

func (a *app) profileListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List a fleet's auto-upgrade profiles",
		Example: `  caravan autoupgradeprofile list -g prod -f fleet-1`,
		Args:    noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ps, err := cl.ListAutoUpgradeProfiles(cmd.Context(), ref)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "auto-upgrade profile", "", "autoupgradeprofile")
			}
			return a.emit(cmd.OutOrStdout(), ps, func(w io.Writer) error {
				if len(ps) == 0 {
					_, err := fmt.Fprintf(w, "Fleet %s has no auto-upgrade profiles; create one with `caravan autoupgradeprofile create`.\n", ref.Fleet)
					return err
				}
				t := newTable("NAME", "CHANNEL", "STRATEGY", "ENABLED", "LAST TRIGGER")
				for _, p := range ps {
					t.row(p.Name, channelText(p.Properties), orDash(segmentAfter(p.Properties.UpdateStrategyID, "updateStrategies")),
						fmt.Sprint(!p.Properties.Disabled), lastTrigger(p.Properties.Status))
				}
				return t.write(w)
			})
		},
	}
}

func (a *app) profileGenerateCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "generate-update-run",
		Short: "Create (not start) an update run of what a profile's channel takes now",
		Long: `Create an update run of what the profile's channel takes from the cloud's
catalogs now, with the profile's strategy. The run is not started: review it
with caravan updaterun plan, then start it with caravan updaterun start.`,
		Example: `  caravan autoupgradeprofile generate-update-run -g prod -f fleet-1 -n nightly`,
		Args:    noArgs("name the profile with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "auto-upgrade profile"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			id, err := cl.GenerateUpdateRun(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "auto-upgrade profile", name, "autoupgradeprofile")
			}
			out := map[string]string{"id": id}
			return a.emit(cmd.OutOrStdout(), out, func(w io.Writer) error {
				run := segmentAfter(id, "updateRuns")
				_, err := fmt.Fprintf(w, "Created update run %s (not started).\nReview it: caravan updaterun plan -g %s -f %s -n %s\nStart it:  caravan updaterun start -g %s -f %s -n %s\n",
					run, ref.ResourceGroup, ref.Fleet, run, ref.ResourceGroup, ref.Fleet, run)
				return err
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the auto-upgrade profile: 1 to 50 lower-case letters, digits and dashes")
	return c
}

func renderProfile(w io.Writer, p *fleet.AutoUpgradeProfile) error {
	pr := p.Properties
	images := "Latest"
	if pr.NodeImageSelection != nil {
		images = string(pr.NodeImageSelection.Type)
	}
	strategy := "none: one member at a time"
	if pr.UpdateStrategyID != "" {
		strategy = segmentAfter(pr.UpdateStrategyID, "updateStrategies")
	}
	fmt.Fprintf(w, "Auto-upgrade profile %s in fleet %s\n\n", p.Name, segmentAfter(p.ID, "fleets"))
	fmt.Fprintf(w, "  Channel:      %s\n  Strategy:     %s\n  Node images:  %s\n  Enabled:      %v\n", channelText(pr), strategy, images, !pr.Disabled)
	fmt.Fprintf(w, "  Last trigger: %s\n", lastTrigger(pr.Status))
	if st := pr.Status; st != nil && st.LastTriggerError != nil {
		fmt.Fprintf(w, "  Error:        %s\n", st.LastTriggerError.Message)
	}
	return nil
}

func channelText(p fleet.AutoUpgradeProfileProperties) string {
	if p.Channel == fleet.ChannelTargetKubernetesVersion {
		s := string(p.Channel) + " " + p.TargetKubernetesVersion
		if p.LongTermSupport {
			s += " (LTS)"
		}
		return s
	}
	return string(p.Channel)
}

func lastTrigger(st *fleet.AutoUpgradeProfileStatus) string {
	if st == nil || st.LastTriggeredAt == nil {
		return "never"
	}
	return fmt.Sprintf("%s at %s (%s)", st.LastTriggerStatus, st.LastTriggeredAt.Format("2006-01-02 15:04:05Z"), strings.Join(st.LastTriggerUpgradeVersions, ", "))
}
