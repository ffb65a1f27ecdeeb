package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/webhook"
)

// RunEvent is an event of an update run as the server lists it: a
// CloudEvent with its sequence in the server's event log.
type RunEvent struct {
	// Sequence orders the server's events (a decimal number).
	Sequence string `json:"sequence"`
	events.CloudEvent
}

// Seq is the event's sequence as a number.
func (e RunEvent) Seq() int64 {
	n, _ := strconv.ParseInt(e.Sequence, 10, 64)
	return n
}

// RunEvents returns up to limit events of a run after sequence after (0:
// from the first), in order. When there are none yet and wait is
// positive, the server waits up to wait (at most a minute) for the next.
func (c *Client) RunEvents(ctx context.Context, ref fleet.FleetRef, name string, after int64, limit int, wait time.Duration) ([]RunEvent, error) {
	ref, err := c.ref(ref)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if after > 0 {
		q.Set("$skipToken", strconv.FormatInt(after, 10))
	}
	if limit > 0 {
		q.Set("$top", strconv.Itoa(limit))
	}
	if wait > 0 {
		q.Set("waitSeconds", strconv.Itoa(int(min(wait, time.Minute)/time.Second)))
	}
	var page struct {
		Value []RunEvent `json:"value"`
	}
	if _, err := c.do(ctx, http.MethodGet, c.endpoint(childPath(ref, collRuns, name)+"/events", q), nil, &page); err != nil {
		return nil, err
	}
	return page.Value, nil
}

// WebhookDeliveries lists the webhook outbox's deliveries, oldest first,
// of one subscription and in one state when those are given.
func (c *Client) WebhookDeliveries(ctx context.Context, subscription, state string) ([]webhook.DeliveryStatus, error) {
	var out []webhook.DeliveryStatus
	q := url.Values{}
	if subscription != "" {
		q.Set("subscription", subscription)
	}
	if state != "" {
		q.Set("state", state)
	}
	q.Set("$top", "1000")
	for {
		u := *c.base
		u.Path = c.base.Path + webhook.DeliveriesPath
		u.RawQuery = q.Encode()
		var page webhook.DeliveryPage
		if _, err := c.do(ctx, http.MethodGet, u.String(), nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Value...)
		if page.NextLink == "" || len(page.Value) == 0 {
			return out, nil
		}
		q.Set("$skipToken", strconv.FormatInt(page.Value[len(page.Value)-1].ID, 10))
	}
}
