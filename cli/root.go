package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

func newRoot(env *Env) *cobra.Command {
	a := &app{env: env}
	root := &cobra.Command{
		Use:   "caravan",
		Short: "Orchestrate Kubernetes upgrades across fleets of clusters",
		Long: `caravan upgrades fleets of Kubernetes clusters in stages: update runs made of
stages (one after another, with waits), stages made of update groups (in
parallel), groups made of member clusters. It serves the API of Azure
Kubernetes Fleet Manager, and ships a simulated AKS cloud to rehearse on.

Try it with nothing to set up:  caravan demo`,
		Example: `  # Watch a simulated fleet upgrade, start to finish
  caravan demo

  # Run a server on a simulated cloud, then use it
  CARAVAN_TOKEN=secret caravan serve --simulate &
  caravan login --server http://127.0.0.1:8080 --token secret --resource-group prod
  caravan fleet create -n fleet-1 -l eastus`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRunE,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.AddCommand(
		a.fleetCmd(),
		a.memberCmd(),
		a.strategyCmd(),
		a.runCmd(),
		a.webhookCmd(),
		a.loginCmd(),
		a.tokenCmd(),
		a.serveCmd(),
		a.simulateCmd(),
		a.demoCmd(),
		a.benchCmd(),
		a.checkCmd(),
		a.backupCmd(),
		a.resetCmd(),
		a.versionCmd(),
	)
	// The completion command keeps the writer it is built with.
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  # Load completions into the current bash shell
  source <(caravan completion bash)

  # Install them for zsh
  caravan completion zsh > "${fpath[1]}/_caravan"`
			for _, sub := range c.Commands() {
				sub.Example = completionExamples[sub.Name()]
			}
		}
	}
	return root
}

// groupRunE runs a command that only groups others: with no arguments it
// shows its help; anything else is an unknown command.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := "unknown command \"" + args[0] + "\" for \"" + cmd.CommandPath() + "\""
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usagef("%s", msg)
}

// group returns a command that groups subcommands.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE,
	}
	c.AddCommand(subs...)
	return c
}

// noArgs refuses positional arguments, pointing at the flag to use.
func noArgs(hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := cmd.CommandPath() + " takes no arguments, got " + strings.Join(args, " ")
		if hint != "" {
			msg += "; " + hint
		}
		return usagef("%s", msg)
	}
}

var completionExamples = map[string]string{
	"bash":       "  source <(caravan completion bash)\n  caravan completion bash > /etc/bash_completion.d/caravan",
	"zsh":        "  caravan completion zsh > \"${fpath[1]}/_caravan\"",
	"fish":       "  caravan completion fish > ~/.config/fish/completions/caravan.fish",
	"powershell": "  caravan completion powershell | Out-String | Invoke-Expression",
}
