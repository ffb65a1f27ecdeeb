package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

func (a *app) fleetCmd() *cobra.Command {
	c := group("fleet", "Create, show, list and delete fleets", `  caravan fleet create -g prod -n fleet-1 -l eastus
  caravan fleet list -g prod`,
		a.fleetCreateCmd(), a.fleetShowCmd(), a.fleetListCmd(), a.fleetDeleteCmd())
	a.addAPIFlags(c)
	a.addGroupFlag(c)
	return c
}

func (a *app) fleetCreateCmd() *cobra.Command {
	var name, location, ifMatch string
	var tags map[string]string
	var ifNoneMatch bool
	c := &cobra.Command{
		Use:   "create",
		Short: "Create a fleet, or update its tags",
		Example: `  caravan fleet create -g prod -n fleet-1 -l eastus
  caravan fleet create -g prod -n fleet-1 -l eastus --tags team=platform,env=prod`,
		Args: noArgs("name the fleet with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "fleet"); err != nil {
				return err
			}
			if err := need(cmd, "location", location, "give the fleet's region, such as eastus"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(name)
			if err != nil {
				return err
			}
			var opts []client.Option
			if ifMatch != "" {
				opts = append(opts, client.IfMatch(ifMatch))
			}
			if ifNoneMatch {
				opts = append(opts, client.IfNoneMatch("*"))
			}
			f, err := cl.PutFleet(cmd.Context(), ref, fleet.Fleet{Location: location, Tags: tags}, opts...)
			if err != nil {
				return err
			}
			return a.emit(cmd.OutOrStdout(), f, func(w io.Writer) error { return renderFleet(w, f, -1) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the fleet: 1 to 63 lower-case letters, digits and dashes")
	c.Flags().StringVarP(&location, "location", "l", "", "region of the fleet, such as eastus")
	c.Flags().StringToStringVar(&tags, "tags", nil, "tags as key=value pairs, comma-separated")
	c.Flags().StringVar(&ifMatch, "if-match", "", "change the fleet only if its ETag is this")
	c.Flags().BoolVar(&ifNoneMatch, "if-none-match", false, "create the fleet only if it does not exist yet")
	return c
}

func (a *app) fleetShowCmd() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:     "show",
		Short:   "Show a fleet",
		Example: `  caravan fleet show -g prod -n fleet-1`,
		Args:    noArgs("name the fleet with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "fleet"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(name)
			if err != nil {
				return err
			}
			f, err := cl.GetFleet(cmd.Context(), ref)
			if client.IsNotFound(err) {
				return missingFleet(ref)
			}
			if err != nil {
				return err
			}
			members := -1
			if a.output == "table" {
				ms, err := cl.ListMembers(cmd.Context(), ref)
				if err != nil {
					return err
				}
				members = len(ms)
			}
			return a.emit(cmd.OutOrStdout(), f, func(w io.Writer) error { return renderFleet(w, f, members) })
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the fleet: 1 to 63 lower-case letters, digits and dashes")
	return c
}

func (a *app) fleetListCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "list",
		Short: "List the fleets of a resource group, or of the subscription",
		Example: `  caravan fleet list -g prod
  caravan fleet list              # every resource group
  caravan fleet list -o json`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client()
			if err != nil {
				return err
			}
			fleets, err := cl.ListFleets(cmd.Context(), cl.Subscription(), cl.ResourceGroup())
			if err != nil {
				return err
			}
			return a.emit(cmd.OutOrStdout(), fleets, func(w io.Writer) error {
				if len(fleets) == 0 {
					where := "subscription " + cl.Subscription()
					if cl.ResourceGroup() != "" {
						where = "resource group " + cl.ResourceGroup()
					}
					_, err := fmt.Fprintf(w, "No fleets in %s; create one with `caravan fleet create`.\n", where)
					return err
				}
				t := newTable("NAME", "RESOURCE GROUP", "LOCATION", "STATE", "TAGS")
				for _, f := range fleets {
					t.row(f.Name, resourceGroupOf(f.ID), f.Location, f.Properties.ProvisioningState, orDash(fmtLabels(f.Tags)))
				}
				return t.write(w)
			})
		},
	}
	return c
}

func (a *app) fleetDeleteCmd() *cobra.Command {
	var name, ifMatch string
	c := &cobra.Command{
		Use:     "delete",
		Short:   "Delete a fleet",
		Example: `  caravan fleet delete -g prod -n fleet-1`,
		Args:    noArgs("name the fleet with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "fleet"); err != nil {
				return err
			}
			cl, ref, err := a.fleetClient(name)
			if err != nil {
				return err
			}
			deleted, err := cl.DeleteFleet(cmd.Context(), ref, client.IfMatch(ifMatch))
			if err != nil {
				return err
			}
			return reportDelete(cmd.OutOrStdout(), deleted, "fleet "+name, "resource group "+ref.ResourceGroup)
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the fleet: 1 to 63 lower-case letters, digits and dashes")
	c.Flags().StringVar(&ifMatch, "if-match", "", "delete the fleet only if its ETag is this")
	return c
}

func reportDelete(w io.Writer, deleted bool, what, where string) error {
	if !deleted {
		_, err := fmt.Fprintf(w, "%s did not exist in %s; nothing to delete.\n", what, where)
		return err
	}
	_, err := fmt.Fprintf(w, "Deleted %s.\n", what)
	return err
}

// renderFleet shows one fleet; members < 0 leaves the count out.
func renderFleet(w io.Writer, f *fleet.Fleet, members int) error {
	pairs := [][2]string{
		{"Fleet", f.Name},
		{"Resource group", resourceGroupOf(f.ID)},
		{"Location", f.Location},
		{"Tags", orDash(fmtLabels(f.Tags))},
		{"State", f.Properties.ProvisioningState},
	}
	if members >= 0 {
		pairs = append(pairs, [2]string{"Members", fmt.Sprint(members)})
	}
	pairs = append(pairs, [2]string{"ID", f.ID})
	return fields(w, pairs...)
}

// resourceGroupOf reads the resource group from an ARM id.
func resourceGroupOf(id string) string { return segmentAfter(id, "resourceGroups") }
