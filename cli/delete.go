package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

// childDeleteCmd is the delete command of a resource in a fleet: a
// member, an update strategy or an update run, named with --name.
func (a *app) childDeleteCmd(noun, short, example string,
	del func(*client.Client, context.Context, fleet.FleetRef, string, ...client.Option) (bool, error)) *cobra.Command {
	var name, ifMatch string
	c := &cobra.Command{
		Use:     "delete",
		Short:   short,
		Example: example,
		Args:    noArgs("name the " + noun + " with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, noun); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			deleted, err := del(cl, cmd.Context(), ref, name, client.IfMatch(ifMatch))
			if err != nil {
				return err
			}
			return reportDelete(cmd.OutOrStdout(), deleted, noun+" "+name, "fleet "+ref.Fleet)
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the "+noun+": 1 to 50 lower-case letters, digits and dashes")
	c.Flags().StringVar(&ifMatch, "if-match", "", "delete the "+noun+" only if its ETag is this")
	return c
}
