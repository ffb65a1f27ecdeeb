package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
)

func (a *app) webhookCmd() *cobra.Command {
	c := group("webhook", "See how events were delivered to webhooks", `  caravan webhook deliveries
  caravan webhook deliveries --subscription ops --state Failed`,
		a.webhookDeliveriesCmd())
	a.addAPIFlags(c)
	return c
}

func (a *app) webhookDeliveriesCmd() *cobra.Command {
	var subscription, state string
	c := &cobra.Command{
		Use:   "deliveries",
		Short: "List the deliveries of events to webhooks, oldest first",
		Long: `List the deliveries of events to the server's webhook subscriptions
(configured with caravan serve --webhooks), oldest first: which event went
to which webhook, whether it is Pending (due for its next try), Delivered,
or Failed (given up after the last try), how many tries it took, and the
last answer.`,
		Example: `  caravan webhook deliveries
  caravan webhook deliveries --subscription ops --state Failed -o json`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := a.client()
			if err != nil {
				return err
			}
			list, err := cl.WebhookDeliveries(cmd.Context(), subscription, state)
			if err != nil {
				return err
			}
			return a.emit(cmd.OutOrStdout(), list, func(w io.Writer) error {
				if len(list) == 0 {
					_, err := fmt.Fprintln(w, "No webhook deliveries.")
					return err
				}
				t := newTable("ID", "WEBHOOK", "EVENT", "STATE", "TRIES", "LAST", "WHEN", "ERROR")
				for _, d := range list {
					last, when := "", ""
					if d.LastStatus != 0 {
						last = strconv.Itoa(d.LastStatus)
					}
					switch {
					case d.DeliveredAt != nil:
						when = d.DeliveredAt.In(a.env.Location).Format("2006-01-02 15:04:05")
					case d.NextAttempt != nil:
						when = "next " + d.NextAttempt.In(a.env.Location).Format("2006-01-02 15:04:05")
					}
					t.row(strconv.FormatInt(d.ID, 10), d.Subscription, d.EventID, d.State, strconv.Itoa(d.Attempts), last, when, d.LastError)
				}
				return t.write(w)
			})
		},
	}
	c.Flags().StringVar(&subscription, "subscription", "", "only this webhook subscription's deliveries")
	c.Flags().StringVar(&state, "state", "", "only deliveries in this state: Pending, Delivered or Failed")
	c.RegisterFlagCompletionFunc("state", fixedCompletion("Pending", "Delivered", "Failed"))
	return c
}
