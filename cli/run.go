package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runview"
)

func (a *app) runCmd() *cobra.Command {
	c := group("updaterun", "Create, start, stop, skip, show and watch update runs", `  caravan updaterun create -g prod -f fleet-1 -n to-1-32 --upgrade-type Full \
      --kubernetes-version 1.32 --node-image-selection Consistent --update-strategy-name safe
  caravan updaterun plan -g prod -f fleet-1 -n to-1-32
  caravan updaterun start -g prod -f fleet-1 -n to-1-32
  caravan updaterun watch -g prod -f fleet-1 -n to-1-32`,
		a.runCreateCmd(), a.runPlanCmd(), a.runStartCmd(), a.runStopCmd(), a.runSkipCmd(), a.runShowCmd(),
		a.runListCmd(), a.childDeleteCmd("update run", "Delete an update run that is not in progress",
			`  caravan updaterun delete -g prod -f fleet-1 -n to-1-32`, (*client.Client).DeleteRun), a.runWaitCmd(), a.runWatchCmd(), a.runEventsCmd())
	a.addAPIFlags(c)
	a.addFleetFlags(c)
	return c
}

// upgradeTypes and selectionTypes are the values the flags take, matched
// without regard to case.
var (
	upgradeTypes   = []fleet.UpgradeType{fleet.UpgradeFull, fleet.UpgradeControlPlaneOnly, fleet.UpgradeNodeImageOnly}
	selectionTypes = []fleet.NodeImageSelectionType{fleet.NodeImageLatest, fleet.NodeImageConsistent, fleet.NodeImageCustom}
)

func canonical[T ~string](flag, value string, allowed []T) (T, error) {
	var names []string
	for _, v := range allowed {
		if strings.EqualFold(string(v), value) {
			return v, nil
		}
		names = append(names, string(v))
	}
	return "", usagef("--%s %q is not one of %s", flag, value, strings.Join(names, ", "))
}

func (a *app) runCreateCmd() *cobra.Command {
	var name, upgradeType, k8s, selection, stages, strategyName, ifMatch string
	var custom []string
	c := &cobra.Command{
		Use:   "create",
		Short: "Create an update run (it starts with `updaterun start`)",
		Long: `Create an update run. Its stages come from an update strategy
(--update-strategy-name), from a stages file (--stages, az fleet's JSON
format), or, with neither, one stage with one group of every member,
updated one at a time. Members whose group the stages do not name are left
out of the run; create warns about them.

The run's member set is frozen now; start it with caravan updaterun start.`,
		Example: `  caravan updaterun create -g prod -f fleet-1 -n to-1-32 --upgrade-type Full \
      --kubernetes-version 1.32 --node-image-selection Consistent --update-strategy-name safe
  caravan updaterun create -g prod -f fleet-1 -n images --upgrade-type NodeImageOnly --stages stages.json
  caravan updaterun create -g prod -f fleet-1 -n pinned --upgrade-type NodeImageOnly \
      --node-image-selection Custom --custom-node-image-versions AKSUbuntu-2204gen2containerd-202503.18.0`,
		Args: noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			if err := need(cmd, "upgrade-type", upgradeType, "say what to upgrade: Full, ControlPlaneOnly or NodeImageOnly"); err != nil {
				return err
			}
			if stages != "" && strategyName != "" {
				return usagef("give --stages or --update-strategy-name, not both")
			}
			if strategyName != "" {
				if err := checkName(cmd, "update-strategy-name", strategyName, "update strategy"); err != nil {
					return err
				}
			}
			update, err := buildUpdate(upgradeType, k8s, selection, custom)
			if err != nil {
				return err
			}
			var strategy *fleet.RunStrategy
			if stages != "" {
				if strategy, err = readStages(stages); err != nil {
					return err
				}
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			props := fleet.UpdateRunProperties{ManagedClusterUpdate: update, Strategy: strategy}
			if strategyName != "" {
				s, err := cl.GetStrategy(ctx, ref, strategyName)
				if err != nil {
					return explain404(ctx, cl, err, ref, "update strategy", strategyName, "updatestrategy")
				}
				props.UpdateStrategyID = s.ID
				strategy = &s.Properties.Strategy
			}
			members, err := cl.ListMembers(ctx, ref)
			if err != nil {
				return explain404(ctx, cl, err, ref, "member", "", "member")
			}
			opts := []client.Option{client.IfMatch(ifMatch)}
			run, err := cl.PutRun(ctx, ref, name, props, opts...)
			if err != nil {
				if stages != "" {
					err = inStagesFile(err, filepath.Base(stages))
				}
				return explain404(ctx, cl, err, ref, "update run", "", "updaterun")
			}
			if left := fleet.LeftOut(strategy, members); len(left) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d member(s) left out of this run, their group is in no stage: %s\n", len(left), describeLeftOut(left))
			}
			return a.emit(cmd.OutOrStdout(), run, func(w io.Writer) error {
				if err := renderRun(w, run, a.renderOptions(false, 0)); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\nStart it with: caravan updaterun start -g %s -f %s -n %s\n", ref.ResourceGroup, ref.Fleet, name)
				return err
			})
		},
	}
	f := c.Flags()
	f.StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	f.StringVar(&upgradeType, "upgrade-type", "", "Full, ControlPlaneOnly or NodeImageOnly")
	f.StringVar(&k8s, "kubernetes-version", "", "target Kubernetes version: 1.32 (newest patch) or 1.32.6 (exact); Full and ControlPlaneOnly need one")
	f.StringVar(&selection, "node-image-selection", "", "Latest (each region's newest; the default), Consistent (the newest every region has) or Custom")
	f.StringSliceVar(&custom, "custom-node-image-versions", nil, "node image versions for Custom selection, comma-separated, one per image family")
	f.StringVar(&stages, "stages", "", "JSON file of stages (az fleet's format) instead of a strategy")
	f.StringVar(&strategyName, "update-strategy-name", "", "update strategy to copy the stages from")
	f.StringVar(&ifMatch, "if-match", "", "replace the run only if its ETag is this")
	c.RegisterFlagCompletionFunc("upgrade-type", fixedCompletion("Full", "ControlPlaneOnly", "NodeImageOnly"))
	c.RegisterFlagCompletionFunc("node-image-selection", fixedCompletion("Latest", "Consistent", "Custom"))
	return c
}

// buildUpdate checks the upgrade flags and builds the run's
// managedClusterUpdate.
func buildUpdate(upgradeType, k8s, selection string, custom []string) (fleet.ManagedClusterUpdate, error) {
	var u fleet.ManagedClusterUpdate
	typ, err := canonical("upgrade-type", upgradeType, upgradeTypes)
	if err != nil {
		return u, err
	}
	u.Upgrade = fleet.UpgradeSpec{Type: typ, KubernetesVersion: k8s}
	if (typ == fleet.UpgradeFull || typ == fleet.UpgradeControlPlaneOnly) && k8s == "" {
		return u, usagef("missing --kubernetes-version: a %s upgrade needs a Kubernetes version, such as 1.32 (its newest patch) or 1.32.6", typ)
	}
	if selection == "" && len(custom) > 0 {
		selection = string(fleet.NodeImageCustom)
	}
	if selection != "" {
		sel, err := canonical("node-image-selection", selection, selectionTypes)
		if err != nil {
			return u, err
		}
		u.NodeImageSelection = &fleet.NodeImageSelection{Type: sel}
		for _, v := range custom {
			u.NodeImageSelection.CustomNodeImageVersions = append(u.NodeImageSelection.CustomNodeImageVersions, fleet.NodeImageVersion{Version: strings.TrimSpace(v)})
		}
	}
	if err := fleet.ValidateUpdate("", u); err != nil {
		var fe *fleet.Error
		if errors.As(err, &fe) {
			return u, usagef("%s", flagMessage(fe))
		}
		return u, err
	}
	return u, nil
}

// flagMessage restates a managedClusterUpdate validation error in terms of
// the flag that set the field.
func flagMessage(fe *fleet.Error) string {
	msg := strings.TrimPrefix(strings.TrimPrefix(fe.Message, fe.Field), ": ")
	flag := "upgrade-type"
	switch {
	case strings.Contains(fe.Field, "kubernetesVersion"):
		flag = "kubernetes-version"
	case strings.Contains(fe.Field, "customNodeImageVersions"):
		flag = "custom-node-image-versions"
	case strings.Contains(fe.Field, "nodeImageSelection"):
		flag = "node-image-selection"
	}
	return "--" + flag + ": " + msg
}

// inStagesFile restates a server error about the run's strategy in terms
// of the stages file: "stages.json: stages[1].groups[0].name: ...".
func inStagesFile(err error, file string) error {
	var ce *client.Error
	if errors.As(err, &ce) && strings.HasPrefix(ce.Message, "properties.strategy.") {
		return fmt.Errorf("%s: %s", file, strings.TrimPrefix(ce.Message, "properties.strategy."))
	}
	return err
}

// runAction is start, stop or skip.
func (a *app) runActionCmd(use, short, example, done string, act func(cmd *cobra.Command, cl *client.Client, ref fleet.FleetRef, name string, opts ...client.Option) (*fleet.UpdateRun, error)) (*cobra.Command, *string) {
	var name, ifMatch string
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			run, err := act(cmd, cl, ref, name, client.IfMatch(ifMatch))
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update run", name, "updaterun")
			}
			return a.emit(cmd.OutOrStdout(), run, func(w io.Writer) error {
				state := fleet.NotStarted
				if run.Properties.Status != nil {
					state = run.Properties.Status.Status.State
				}
				_, err := fmt.Fprintf(w, "%s update run %s; it is %s. Watch it with: caravan updaterun watch -g %s -f %s -n %s\n", done, name, state, ref.ResourceGroup, ref.Fleet, name)
				return err
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&ifMatch, "if-match", "", "act only if the run's ETag is this")
	return c, &name
}

func (a *app) runStartCmd() *cobra.Command {
	c, _ := a.runActionCmd("start", "Start an update run, or resume a stopped or failed one",
		`  caravan updaterun start -g prod -f fleet-1 -n to-1-32`, "Started",
		func(cmd *cobra.Command, cl *client.Client, ref fleet.FleetRef, name string, opts ...client.Option) (*fleet.UpdateRun, error) {
			return cl.StartRun(cmd.Context(), ref, name, opts...)
		})
	return c
}

func (a *app) runStopCmd() *cobra.Command {
	c, _ := a.runActionCmd("stop", "Stop an update run: no new member starts, upgrades in flight finish",
		`  caravan updaterun stop -g prod -f fleet-1 -n to-1-32`, "Stopping",
		func(cmd *cobra.Command, cl *client.Client, ref fleet.FleetRef, name string, opts ...client.Option) (*fleet.UpdateRun, error) {
			return cl.StopRun(cmd.Context(), ref, name, opts...)
		})
	return c
}

func (a *app) runSkipCmd() *cobra.Command {
	var targets []string
	c, _ := a.runActionCmd("skip", "Skip members, groups, stages or after-stage waits of an update run",
		`  caravan updaterun skip -g prod -f fleet-1 -n to-1-32 --targets Member:eu-1 Group:canary
  caravan updaterun skip -g prod -f fleet-1 -n to-1-32 --targets AfterStageWait:canary`, "Skipped targets in",
		func(cmd *cobra.Command, cl *client.Client, ref fleet.FleetRef, name string, opts ...client.Option) (*fleet.UpdateRun, error) {
			ts, err := parseTargets(append(targets, cmd.Flags().Args()...))
			if err != nil {
				return nil, err
			}
			return cl.SkipRun(cmd.Context(), ref, name, ts, opts...)
		})
	c.Args = cobra.ArbitraryArgs
	c.Flags().StringSliceVar(&targets, "targets", nil, "what to skip: Member:NAME, Group:NAME, Stage:NAME or AfterStageWait:STAGE, separated by spaces or commas")
	return c
}

var skipTypes = []fleet.SkipTargetType{fleet.SkipMember, fleet.SkipGroup, fleet.SkipStage, fleet.SkipAfterStageWait}

// parseTargets parses Type:name skip targets.
func parseTargets(args []string) ([]fleet.SkipTarget, error) {
	if len(args) == 0 {
		return nil, usagef("missing --targets: say what to skip, such as --targets Member:eu-1 Group:canary")
	}
	var out []fleet.SkipTarget
	for _, arg := range args {
		typ, name, ok := strings.Cut(arg, ":")
		if !ok || name == "" {
			return nil, usagef("--targets %q is not TYPE:NAME; use Member:NAME, Group:NAME, Stage:NAME or AfterStageWait:STAGE", arg)
		}
		t, err := canonical("targets", typ, skipTypes)
		if err != nil {
			return nil, usagef("--targets %q: %q is not a target type; use Member, Group, Stage or AfterStageWait", arg, typ)
		}
		out = append(out, fleet.SkipTarget{Type: t, Name: name})
	}
	return out, nil
}

func (a *app) runShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "show",
		Short: "Show an update run as a tree of stages, groups and members",
		Example: `  caravan updaterun show -g prod -f fleet-1 -n to-1-32
  caravan updaterun show -g prod -f fleet-1 -n to-1-32 -o json`,
		Args: noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			run, err := cl.GetRun(cmd.Context(), ref, name)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update run", name, "updaterun")
			}
			return a.emit(cmd.OutOrStdout(), run, func(w io.Writer) error {
				return renderRun(w, run, a.renderOptions(false, 0))
			})
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	return c
}

func (a *app) renderOptions(live bool, width int) renderOptions {
	return renderOptions{now: a.env.Now(), loc: a.env.Location, live: live, width: width}
}

func (a *app) runListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List a fleet's update runs",
		Example: `  caravan updaterun list -g prod -f fleet-1`,
		Args:    noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			runs, err := cl.ListRuns(cmd.Context(), ref)
			if err != nil {
				return explain404(cmd.Context(), cl, err, ref, "update run", "", "updaterun")
			}
			return a.emit(cmd.OutOrStdout(), runs, func(w io.Writer) error {
				if len(runs) == 0 {
					_, err := fmt.Fprintf(w, "Fleet %s has no update runs; create one with `caravan updaterun create`.\n", ref.Fleet)
					return err
				}
				t := newTable("NAME", "STATE", "UPGRADE", "STRATEGY", "MEMBERS DONE", "STARTED")
				for _, r := range runs {
					state, started := fleet.NotStarted, ""
					if st := r.Properties.Status; st != nil {
						state = st.Status.State
						if st.Status.StartTime != nil {
							started = st.Status.StartTime.In(a.env.Location).Format("2006-01-02 15:04:05")
						}
					}
					c := runview.CountMembers(r.Properties.Status)
					t.row(r.Name, string(state), runview.DescribeUpdate(r.Properties.ManagedClusterUpdate), runview.StrategyName(r.Properties), fmt.Sprintf("%d/%d", c.Done(), c.Total), orDash(started))
				}
				return t.write(w)
			})
		},
	}
}
