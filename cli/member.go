package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

func (a *app) memberCmd() *cobra.Command {
	c := group("member", "Add clusters to a fleet and put them in update groups", `  caravan member create -g prod -f fleet-1 -n eu-1 --update-group canary \
      --cluster-id /subscriptions/SUB/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/eu-1
  caravan member list -g prod -f fleet-1`,
		a.memberCreateCmd(), a.memberUpdateCmd(), a.memberShowCmd(), a.memberListCmd(), a.childDeleteCmd("member", "Remove a member from its fleet (the cluster itself is left alone)",
			`  caravan member delete -g prod -f fleet-1 -n eu-1`, (*client.Client).DeleteMember))
	a.addAPIFlags(c)
	a.addFleetFlags(c)
	return c
}

func (a *app) memberCreateCmd() *cobra.Command {
	var name, clusterID, group, ifMatch string
	var labels map[string]string
	c := &cobra.Command{
		Use:   "create",
		Short: "Add a cluster to a fleet as a member",
		Example: `  caravan member create -g prod -f fleet-1 -n eu-1 --update-group canary \
      --cluster-id /subscriptions/SUB/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/eu-1 \
      --labels env=prod,region=eu`,
		Args: noArgs("name the member with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "member"); err != nil {
				return err
			}
			if err := need(cmd, "cluster-id", clusterID, "give the ARM id of the member's AKS cluster, /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/NAME"); err != nil {
				return err
			}
			if _, err := fleet.ParseClusterID(clusterID); err != nil {
				return usagef("--cluster-id: %v", err)
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			m, err := cl.PutMember(cmd.Context(), ref, name, fleet.Member{Properties: fleet.MemberProperties{
				ClusterResourceID: clusterID, Group: group, Labels: labels,
			}}, client.IfMatch(ifMatch))
			var ce *client.Error
			if errors.As(err, &ce) && ce.Target == "properties.clusterResourceId" {
				return fmt.Errorf("--cluster-id: %s", strings.TrimPrefix(ce.Message, ce.Target+": "))
			}
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "member", "", "member")
			}
			return a.emit(cmd.OutOrStdout(), m, func(w io.Writer) error { return renderMembers(w, []fleet.Member{*m}) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the member: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&clusterID, "cluster-id", "", "ARM id of the member's AKS cluster")
	c.Flags().StringVar(&group, "update-group", "", "update group of the member")
	c.Flags().StringToStringVar(&labels, "labels", nil, "labels as key=value pairs, comma-separated")
	c.Flags().StringVar(&ifMatch, "if-match", "", "replace the member only if its ETag is this")
	return c
}

func (a *app) memberUpdateCmd() *cobra.Command {
	var name, group, ifMatch string
	var labels map[string]string
	c := &cobra.Command{
		Use:   "update",
		Short: "Change a member's update group or labels",
		Example: `  caravan member update -g prod -f fleet-1 -n eu-1 --update-group production
  caravan member update -g prod -f fleet-1 -n eu-1 --update-group ""     # no group
  caravan member update -g prod -f fleet-1 -n eu-1 --labels tier=gold`,
		Args: noArgs("name the member with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "member"); err != nil {
				return err
			}
			var u client.MemberUpdate
			if cmd.Flags().Changed("update-group") {
				u.Group = &group
			}
			if cmd.Flags().Changed("labels") {
				u.Labels = labels
				if u.Labels == nil {
					u.Labels = map[string]string{}
				}
			}
			if u.Group == nil && u.Labels == nil {
				return usagef("nothing to update: give --update-group or --labels")
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			m, err := cl.UpdateMember(cmd.Context(), ref, name, u, client.IfMatch(ifMatch))
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "member", name, "member")
			}
			return a.emit(cmd.OutOrStdout(), m, func(w io.Writer) error { return renderMembers(w, []fleet.Member{*m}) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the member: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&group, "update-group", "", "new update group (\"\" for none)")
	c.Flags().StringToStringVar(&labels, "labels", nil, "new labels as key=value pairs, comma-separated; they replace the old ones")
	c.Flags().StringVar(&ifMatch, "if-match", "", "change the member only if its ETag is this")
	return c
}

func (a *app) memberShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:     "show",
		Short:   "Show a member and what its cluster runs",
		Example: `  caravan member show -g prod -f fleet-1 -n eu-1`,
		Args:    noArgs("name the member with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "member"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			m, err := cl.GetMember(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "member", name, "member")
			}
			return a.emit(cmd.OutOrStdout(), m, func(w io.Writer) error { return renderMember(w, m) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the member: 1 to 50 lower-case letters, digits and dashes")
	return c
}

func (a *app) memberListCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List a fleet's members with their groups, regions, versions and node images",
		Example: `  caravan member list -g prod -f fleet-1
  caravan member list -g prod -f fleet-1 -o yaml`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ms, err := cl.ListMembers(cmd.Context(), ref)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "member", "", "member")
			}
			return a.emit(cmd.OutOrStdout(), ms, func(w io.Writer) error {
				if len(ms) == 0 {
					_, err := fmt.Fprintf(w, "Fleet %s has no members; add one with `caravan member create`.\n", ref.Fleet)
					return err
				}
				return renderMembers(w, ms)
			})
		},
	}
	return c
}

// renderMembers writes the members table: name, group, region,
// Kubernetes version and node images of each member's cluster, and
// labels when any member has some.
func renderMembers(w io.Writer, ms []fleet.Member) error {
	withLabels := false
	for _, m := range ms {
		withLabels = withLabels || len(m.Properties.Labels) > 0
	}
	header := []string{"NAME", "GROUP", "REGION", "KUBERNETES", "NODE IMAGES"}
	if withLabels {
		header = append(header, "LABELS")
	}
	t := newTable(header...)
	for _, m := range ms {
		region, k8s, images := "-", "-", "-"
		if ci := m.Properties.Cluster; ci != nil {
			region, k8s, images = orDash(ci.Region), orDash(ci.KubernetesVersion), orDash(strings.Join(ci.NodeImageVersions, ", "))
			if ci.Error != "" {
				// What was seen before no longer holds: say why.
				images = "unknown: " + ci.Error
			}
		}
		row := []string{m.Name, orDash(m.Properties.Group), region, k8s, images}
		if withLabels {
			row = append(row, orDash(fmtLabels(m.Properties.Labels)))
		}
		t.row(row...)
	}
	return t.write(w)
}

// renderMember shows one member in full.
func renderMember(w io.Writer, m *fleet.Member) error {
	pairs := [][2]string{
		{"Member", m.Name},
		{"Group", orDash(m.Properties.Group)},
		{"Labels", orDash(fmtLabels(m.Properties.Labels))},
		{"Cluster", m.Properties.ClusterResourceID},
	}
	if ci := m.Properties.Cluster; ci != nil {
		pairs = append(pairs,
			[2]string{"Region", orDash(ci.Region)},
			[2]string{"Kubernetes", orDash(ci.KubernetesVersion)},
		)
		for i, img := range ci.NodeImageVersions {
			label := ""
			if i == 0 {
				label = "Node images"
			}
			pairs = append(pairs, [2]string{label, img})
		}
		if ci.ProvisioningState != "" {
			pairs = append(pairs, [2]string{"Cluster state", ci.ProvisioningState})
		}
		if ci.Error != "" {
			pairs = append(pairs, [2]string{"Cluster error", ci.Error})
		}
	}
	pairs = append(pairs, [2]string{"State", m.Properties.ProvisioningState})
	return fields(w, pairs...)
}

// releaseOf is a node image's release without its family, for tables
// that already say the family.
func releaseOf(image string) string {
	img, err := version.ParseNodeImage(image)
	if err != nil {
		return image
	}
	return img.Release
}
