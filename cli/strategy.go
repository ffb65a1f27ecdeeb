package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

const stagesExample = `{"stages": [
  {"name": "canary", "groups": [{"name": "canary"}], "afterStageWaitInSeconds": 3600},
  {"name": "production", "groups": [{"name": "prod-eu", "maxConcurrency": "25%"}, {"name": "prod-us"}]}
]}`

func (a *app) strategyCmd() *cobra.Command {
	c := group("updatestrategy", "Create, show, list and delete update strategies", `  caravan updatestrategy create -g prod -f fleet-1 -n safe --stages stages.json
  caravan updatestrategy show -g prod -f fleet-1 -n safe`,
		a.strategyCreateCmd(), a.strategyShowCmd(), a.strategyListCmd(), a.childDeleteCmd("update strategy", "Delete an update strategy (runs made from it keep their stages)",
			`  caravan updatestrategy delete -g prod -f fleet-1 -n safe`, (*client.Client).DeleteStrategy))
	a.addAPIFlags(c)
	a.addFleetFlags(c)
	return c
}

func (a *app) strategyCreateCmd() *cobra.Command {
	var name, stages, ifMatch string
	c := &cobra.Command{
		Use:   "create",
		Short: "Create an update strategy from a stages file, or replace its stages",
		Long: `Create an update strategy, or replace its stages. The stages file is JSON in
the format az fleet uses (YAML too, for .yaml and .yml files):

` + stagesExample + `

Stages run one after another; the groups of a stage run in parallel; the
members of a group one at a time, or maxConcurrency at once (a count such
as "3", or a percentage of the group such as "25%").`,
		Example: `  caravan updatestrategy create -g prod -f fleet-1 -n safe --stages stages.json`,
		Args:    noArgs("name the strategy with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update strategy"); err != nil {
				return err
			}
			if err := need(cmd, "stages", stages, "give a JSON file of stages, such as "+strings.ReplaceAll(stagesExample, "\n", "")); err != nil {
				return err
			}
			strategy, err := readStages(stages)
			if err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			s, err := cl.PutStrategy(cmd.Context(), ref, name, *strategy, client.IfMatch(ifMatch))
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update strategy", "", "updatestrategy")
			}
			return a.emit(cmd.OutOrStdout(), s, func(w io.Writer) error {
				ms, err := cl.ListMembers(cmd.Context(), ref)
				if err != nil {
					return err
				}
				return renderStrategy(w, s, ms)
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update strategy: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&stages, "stages", "", "JSON file of stages (az fleet's format)")
	c.Flags().StringVar(&ifMatch, "if-match", "", "replace the strategy only if its ETag is this")
	return c
}

func (a *app) strategyShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:     "show",
		Short:   "Show an update strategy's stages and groups, with the members in each",
		Example: `  caravan updatestrategy show -g prod -f fleet-1 -n safe`,
		Args:    noArgs("name the strategy with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update strategy"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			s, err := cl.GetStrategy(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update strategy", name, "updatestrategy")
			}
			return a.emit(cmd.OutOrStdout(), s, func(w io.Writer) error {
				ms, err := cl.ListMembers(cmd.Context(), ref)
				if err != nil {
					return err
				}
				return renderStrategy(w, s, ms)
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update strategy: 1 to 50 lower-case letters, digits and dashes")
	return c
}

func (a *app) strategyListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List a fleet's update strategies",
		Example: `  caravan updatestrategy list -g prod -f fleet-1`,
		Args:    noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ss, err := cl.ListStrategies(cmd.Context(), ref)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update strategy", "", "updatestrategy")
			}
			return a.emit(cmd.OutOrStdout(), ss, func(w io.Writer) error {
				if len(ss) == 0 {
					_, err := fmt.Fprintf(w, "Fleet %s has no update strategies; create one with `caravan updatestrategy create`.\n", ref.Fleet)
					return err
				}
				t := newTable("NAME", "STAGES", "GROUPS")
				for _, s := range ss {
					var names []string
					groups := 0
					for _, st := range s.Properties.Strategy.Stages {
						names = append(names, st.Name)
						groups += len(st.Groups)
					}
					t.row(s.Name, strings.Join(names, " → "), fmt.Sprint(groups))
				}
				return t.write(w)
			})
		},
	}
}

// renderStrategy shows a strategy as a tree of stages and groups, with
// each group's concurrency and members, each stage's wait, and the
// members the strategy leaves out.
func renderStrategy(w io.Writer, s *fleet.UpdateStrategy, members []fleet.Member) error {
	fmt.Fprintf(w, "Update strategy %s in fleet %s\n\n", s.Name, segmentAfter(s.ID, "fleets"))
	renderStages(w, &s.Properties.Strategy, members)
	return nil
}

// renderStages writes the stages table and the members left out.
func renderStages(w io.Writer, s *fleet.RunStrategy, members []fleet.Member) {
	byGroup := map[string][]string{}
	for _, m := range members {
		byGroup[m.Properties.Group] = append(byGroup[m.Properties.Group], m.Name)
	}
	t := newTable("STAGE / GROUP", "MAX CONCURRENCY", "AFTER-STAGE WAIT", "MEMBERS")
	for _, st := range s.Stages {
		wait := "-"
		if st.AfterStageWaitInSeconds > 0 {
			wait = fmtSeconds(st.AfterStageWaitInSeconds)
		}
		total := 0
		for _, g := range st.Groups {
			total += len(byGroup[g.Name])
		}
		t.row(st.Name, orDash(st.MaxConcurrency), wait, fmt.Sprint(total))
		for i, g := range st.Groups {
			branch := "├─ "
			if i == len(st.Groups)-1 {
				branch = "└─ "
			}
			conc := g.MaxConcurrency
			if conc == "" {
				conc = "1"
			}
			names := byGroup[g.Name]
			var list string
			switch {
			case len(names) == 0:
				list = "0 (a run with this strategy will be refused)"
			case len(names) > 4:
				list = fmt.Sprintf("%d (%s, ...)", len(names), strings.Join(names[:3], ", "))
			default:
				list = fmt.Sprintf("%d (%s)", len(names), strings.Join(names, ", "))
			}
			t.row(branch+g.Name, conc, "", list)
		}
	}
	t.write(w)
	if left := fleet.LeftOut(s, members); len(left) > 0 {
		fmt.Fprintf(w, "\nLeft out (their group is in no stage): %s\n", describeLeftOut(left))
	}
}

// describeLeftOut lists members with their groups.
func describeLeftOut(ms []fleet.Member) string {
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		g := m.Properties.Group
		if g == "" {
			g = "no group"
		} else {
			g = "group " + g
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", m.Name, g))
	}
	return strings.Join(parts, ", ")
}
