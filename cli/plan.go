package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/runs"
)

func (a *app) runPlanCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what an update run will do, member by member, before it does it",
		Long: `Plan reads every member's cluster now and shows, in the order the run takes
them, what will happen: the Kubernetes version each control plane moves from
and to, the image each node pool ends with, and why a member will be skipped,
wait (Pending, such as outside its cluster's maintenance window) or is
blocked. A blocked member cannot legally reach the target
(a downgrade, a skipped minor version, a node pool too far behind); the run
does not start until it is skipped.`,
		Example: `  caravan updaterun plan -g prod -f fleet-1 -n to-1-32
  caravan updaterun plan -g prod -f fleet-1 -n to-1-32 -o json`,
		Args: noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			plan, err := cl.PlanRun(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update run", name, "updaterun")
			}
			return a.emit(cmd.OutOrStdout(), plan, func(w io.Writer) error {
				if err := renderPlan(w, plan); err != nil {
					return err
				}
				if blocked := plan.Blocked(); len(blocked) > 0 {
					var targets []string
					for _, m := range blocked {
						targets = append(targets, "Member:"+m.Name)
					}
					_, err := fmt.Fprintf(w, "\nThe run will not start while members are blocked; skip them with:\n  caravan updaterun skip -g %s -f %s -n %s --targets %s\n", ref.ResourceGroup, ref.Fleet, name, strings.Join(targets, ","))
					return err
				}
				return nil
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	return c
}

// renderPlan writes a plan: a line on the run, then one row per node pool
// of each member in run order, and the reasons of members that will not
// simply be upgraded.
func renderPlan(w io.Writer, p *runs.Plan) error {
	head := fmt.Sprintf("Update run %s (%s): %s", p.Run, p.State, string(p.Upgrade))
	if p.KubernetesVersion != "" {
		head += " to Kubernetes " + p.KubernetesVersion
	}
	if p.NodeImageSelection != "" {
		head += ", node images " + string(p.NodeImageSelection)
		if len(p.NodeImageVersions) > 0 {
			head += " " + strings.Join(p.NodeImageVersions, ", ")
		}
		if p.NodeImagesChosenAtStart {
			head += " (if the run started now; chosen when it starts)"
		}
	}
	if _, err := fmt.Fprintln(w, head+"\n"); err != nil {
		return err
	}
	t := newTable("STAGE", "GROUP", "MEMBER", "REGION", "KUBERNETES", "NODE POOL", "POOL VERSION", "NODE IMAGE", "WILL")
	for _, m := range p.Members {
		k8s := orDash(m.From)
		if m.To != "" && m.To != m.From {
			k8s += " → " + m.To
		}
		if len(m.Pools) == 0 {
			t.row(m.Stage, m.Group, m.Name, orDash(m.Region), k8s, "-", "-", "-", string(m.Action))
			continue
		}
		for i, pp := range m.Pools {
			pv := orDash(pp.FromVersion)
			if pp.ToVersion != "" && pp.ToVersion != pp.FromVersion {
				pv += " → " + pp.ToVersion
			}
			img := releaseOf(pp.FromImage)
			switch {
			case pp.ToImage != "" && pp.ToImage != pp.FromImage:
				img += " → " + releaseOf(pp.ToImage)
			case pp.ToImage == "" && pp.Note == "" && p.NodeImageSelection != "":
				img += " → newest"
			}
			if pp.Note != "" {
				img += " (" + pp.Note + ")"
			}
			if i == 0 {
				t.row(m.Stage, m.Group, m.Name, orDash(m.Region), k8s, pp.Name, pv, img, string(m.Action))
			} else {
				t.row("", "", "", "", "", pp.Name, pv, img, "")
			}
		}
	}
	if err := t.write(w); err != nil {
		return err
	}
	var why []string
	for _, m := range p.Members {
		if m.Reason != "" && m.Action != runs.Upgrade {
			why = append(why, fmt.Sprintf("  %s: %s: %s", m.Name, m.Action, m.Reason))
		} else if m.MaintenanceWindow != "" {
			why = append(why, fmt.Sprintf("  %s: %s: maintenance window %s", m.Name, m.Action, m.MaintenanceWindow))
		}
	}
	if len(why) > 0 {
		_, err := fmt.Fprintf(w, "\nWhy:\n%s\n", strings.Join(why, "\n"))
		return err
	}
	return nil
}
