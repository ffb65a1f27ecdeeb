package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/fleet"
)

// followWait is how long each request of --follow waits for new events.
const followWait = 30 * time.Second

func (a *app) runEventsCmd() *cobra.Command {
	var name string
	var follow bool
	c := &cobra.Command{
		Use:   "events",
		Short: "List the events of an update run, in order, and follow new ones",
		Long: `List the events of an update run: every transition of the run, its
stages, waits, groups and members, oldest first, with who caused it (a
token's name, or the engine). With --follow, keep printing new events as
they happen until the run completes, fails, stops or is deleted (or
Ctrl-C). -o json prints the CloudEvents, one per line.

The server keeps events for its --event-retention (30 days by default).`,
		Example: `  caravan updaterun events -g prod -f fleet-1 -n to-1-32
  caravan updaterun events -g prod -f fleet-1 -n to-1-32 --follow
  caravan updaterun events -g prod -f fleet-1 -n to-1-32 -o json | jq .data.state`,
		Args: noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			if a.output == "yaml" {
				return usagef("--output yaml is not offered for events: use table or json (one CloudEvent per line)")
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			var after int64
			header := a.output != "json"
			for {
				wait := time.Duration(0)
				if follow {
					wait = followWait
				}
				evs, err := cl.RunEvents(ctx, ref, name, after, 1000, wait)
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return explain404(ctx, cl, err, ref, "update run", name, "updaterun")
				}
				if header {
					header = false
					if len(evs) == 0 && !follow {
						_, err := fmt.Fprintf(w, "Update run %s has no events.\n", name)
						return err
					}
					if _, err := fmt.Fprintf(w, "%-8s  %-22s  %-26s  %-30s  %s\n", "TIME", "EVENT", "FROM → TO", "NODE", "BY"); err != nil {
						return err
					}
				}
				ended := false
				for _, e := range evs {
					if err := a.printEvent(w, e); err != nil {
						return err
					}
					after = e.Seq()
					ended = ended || runEnded(e)
				}
				if follow && !ended {
					continue
				}
				if !follow && len(evs) == 1000 {
					continue
				}
				return nil
			}
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().BoolVar(&follow, "follow", false, "keep printing new events until the run completes, fails, stops or is deleted")
	return c
}

// runEnded reports whether an event ends the run's activity.
func runEnded(e client.RunEvent) bool {
	if e.Data.Kind != "run" {
		return false
	}
	switch e.Data.State {
	case string(fleet.Completed), string(fleet.Failed), string(fleet.Stopped), "Deleted":
		return true
	}
	return false
}

func (a *app) printEvent(w io.Writer, e client.RunEvent) error {
	if a.output == "json" {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	d := e.Data
	node := d.Path
	if node == "" {
		node = "run " + d.RunName
	}
	move := d.State
	if d.PreviousState != "" {
		move = d.PreviousState + " → " + d.State
	}
	by := d.Caller.Name
	if d.Caller.Role != "" {
		by += " (" + d.Caller.Role + ")"
	}
	if d.Reconciled {
		by += ", found at restart"
	}
	line := fmt.Sprintf("%-8s  %-22s  %-26s  %-30s  %s", e.Time.In(a.env.Location).Format("15:04:05"),
		strings.TrimPrefix(strings.TrimPrefix(e.Type, events.TypePrefix), "."), move, node, by)
	if d.Message != "" {
		line += "  " + d.Message
	}
	_, err := fmt.Fprintln(w, strings.TrimRight(line, " "))
	return err
}
