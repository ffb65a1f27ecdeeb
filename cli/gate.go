package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

func (a *app) gateCmd() *cobra.Command {
	c := group("gate", "List and approve the gates update runs wait at", `  caravan gate list -g prod -f fleet-1 --state Pending
  caravan gate approve -g prod -f fleet-1 -n 4f1c2d3e-5a6b-5c7d-8e9f-0a1b2c3d4e5f`,
		a.gateListCmd(), a.gateShowCmd(), a.gateApproveCmd())
	a.addAPIFlags(c)
	a.addFleetFlags(c)
	return c
}

func (a *app) gateListCmd() *cobra.Command {
	var states []string
	c := &cobra.Command{
		Use:   "list",
		Short: "List a fleet's gates: where each holds its run, and its state",
		Example: `  caravan gate list -g prod -f fleet-1
  caravan gate list -g prod -f fleet-1 --state Pending`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var want []fleet.State
			for _, s := range states {
				st, ok := gateStateOf(s)
				if !ok {
					return usagef("--state: %q is not a gate state: use Pending, Completed or Skipped", s)
				}
				want = append(want, st)
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			gs, err := cl.ListGates(cmd.Context(), ref, want...)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "", "", "")
			}
			return a.emit(cmd.OutOrStdout(), gs, func(w io.Writer) error { return renderGates(w, gs) })
		},
	}
	c.Flags().StringSliceVar(&states, "state", nil, "only gates in these states (Pending, Completed, Skipped), comma-separated")
	return c
}

func gateStateOf(s string) (fleet.State, bool) {
	for _, st := range []fleet.State{fleet.Pending, fleet.Completed, fleet.Skipped} {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

func (a *app) gateShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:     "show",
		Short:   "Show a gate",
		Example: `  caravan gate show -g prod -f fleet-1 -n 4f1c2d3e-5a6b-5c7d-8e9f-0a1b2c3d4e5f`,
		Args:    noArgs("name the gate with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "gate"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			g, err := cl.GetGate(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "gate", name, "gate")
			}
			return a.emit(cmd.OutOrStdout(), g, func(w io.Writer) error { return renderGate(w, g) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the gate (a GUID, from caravan gate list)")
	return c
}

func (a *app) gateApproveCmd() *cobra.Command {
	var name, ifMatch string
	c := &cobra.Command{
		Use:   "approve",
		Short: "Approve (complete) a gate, so its update run moves on",
		Long: `Approve (complete) a gate, so its update run moves on at once. Approving a
gate that is already completed changes nothing. A gate of a stopped run
takes effect when the run is started again.`,
		Example: `  caravan gate approve -g prod -f fleet-1 -n 4f1c2d3e-5a6b-5c7d-8e9f-0a1b2c3d4e5f`,
		Args:    noArgs("name the gate with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "gate"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			g, err := cl.ApproveGate(cmd.Context(), ref, name, client.IfMatch(ifMatch))
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "gate", name, "gate")
			}
			return a.emit(cmd.OutOrStdout(), g, func(w io.Writer) error { return renderGate(w, g) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the gate (a GUID, from caravan gate list)")
	c.Flags().StringVar(&ifMatch, "if-match", "", "approve the gate only if its ETag is this")
	return c
}

// gateWhere says where a gate holds its run: "before stage canary",
// "after group eu of stage canary".
func gateWhere(g *fleet.Gate) string {
	t := g.Properties.Target.UpdateRunProperties
	if t == nil {
		return "-"
	}
	where := strings.ToLower(string(t.Timing)) + " stage " + t.Stage
	if t.Group != "" {
		where = strings.ToLower(string(t.Timing)) + " group " + t.Group + " of stage " + t.Stage
	}
	return where
}

func renderGates(w io.Writer, gs []fleet.Gate) error {
	t := newTable("NAME", "STATE", "TYPE", "RUN", "WHERE", "DISPLAY NAME")
	for i := range gs {
		g := &gs[i]
		t.row(g.Name, string(g.Properties.State), string(g.Properties.GateType), orDash(segmentAfter(g.Properties.Target.ID, "updateRuns")), gateWhere(g), orDash(g.Properties.DisplayName))
	}
	return t.write(w)
}

func renderGate(w io.Writer, g *fleet.Gate) error {
	pairs := [][2]string{
		{"Gate", g.Name},
		{"Display name", orDash(g.Properties.DisplayName)},
		{"Type", string(g.Properties.GateType)},
		{"State", string(g.Properties.State)},
		{"Update run", orDash(segmentAfter(g.Properties.Target.ID, "updateRuns"))},
		{"Where", gateWhere(g)},
	}
	if s := g.Properties.ScheduledStartProperties; s != nil {
		pairs = append(pairs, [2]string{"Schedule", fmt.Sprintf("%s %s (UTC%s)", s.StartDay, s.StartTime, s.UTCOffset)})
	}
	if at := g.Properties.ScheduledTime; at != nil {
		pairs = append(pairs, [2]string{"Opens", at.UTC().Format("Mon 2006-01-02 15:04 MST")})
	}
	return fields(w, pairs...)
}
