package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/events"
	"github.com/caravan-dev/caravan/store"
)

// Defaults for the zero fields of Config.
const (
	DefaultFirstRetry  = time.Second
	DefaultMaxRetry    = time.Hour
	DefaultMaxAttempts = 20 // about 8 hours of tries
	DefaultTimeout     = 10 * time.Second
)

// Config is what a Dispatcher works with.
type Config struct {
	Log           store.EventLog
	Subscriptions []Subscription
	// Client sends the deliveries (default: one with Timeout).
	Client *http.Client
	// Timeout bounds one try (default DefaultTimeout).
	Timeout time.Duration
	// FirstRetry is the wait after the first failed try; it doubles on
	// each failure up to MaxRetry.
	FirstRetry, MaxRetry time.Duration
	// MaxAttempts is how many tries a delivery gets before it is Failed.
	MaxAttempts int
	Clock       clock.Clock
	Logger      *slog.Logger
}

// Dispatcher sends the outbox's due deliveries.
type Dispatcher struct {
	cfg  Config
	subs map[string]Subscription
	log  *slog.Logger
	wake chan struct{}
	done chan struct{}
}

// NewDispatcher returns a dispatcher; nothing is sent until Run.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.FirstRetry <= 0 {
		cfg.FirstRetry = DefaultFirstRetry
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = DefaultMaxRetry
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Dispatcher{cfg: cfg, subs: map[string]Subscription{}, log: cfg.Logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	for _, s := range cfg.Subscriptions {
		d.subs[s.Name] = s
	}
	return d
}

// Wake tells the dispatcher that deliveries were queued. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Done is closed when Run has returned.
func (d *Dispatcher) Done() <-chan struct{} { return d.done }

// Run sends due deliveries until ctx ends: when woken, and when the
// earliest retry is due.
func (d *Dispatcher) Run(ctx context.Context) {
	defer close(d.done)
	for {
		d.sendDue(ctx)
		var timer <-chan struct{}
		var stop func() bool
		if next, ok, err := d.cfg.Log.NextDelivery(ctx); err == nil && ok {
			ch := make(chan struct{})
			t := d.cfg.Clock.AfterFunc(max(next.Sub(d.cfg.Clock.Now()), 0), func() { close(ch) })
			timer, stop = ch, t.Stop
		} else if err != nil && ctx.Err() == nil {
			d.log.Warn("cannot read the webhook outbox; trying again", "error", err)
			ch := make(chan struct{})
			t := d.cfg.Clock.AfterFunc(5*time.Second, func() { close(ch) })
			timer, stop = ch, t.Stop
		}
		select {
		case <-ctx.Done():
			if stop != nil {
				stop()
			}
			return
		case <-d.wake:
		case <-timer:
		}
		if stop != nil {
			stop()
		}
	}
}

// sendDue sends every due delivery, a batch at a time; each subscription's
// in order, subscriptions side by side.
func (d *Dispatcher) sendDue(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := d.cfg.Log.DueDeliveries(ctx, d.cfg.Clock.Now(), 200)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("cannot read the webhook outbox", "error", err)
			}
			return
		}
		if len(due) == 0 {
			return
		}
		bySub := map[string][]store.Delivery{}
		for _, dl := range due {
			bySub[dl.Subscription] = append(bySub[dl.Subscription], dl)
		}
		var wg sync.WaitGroup
		for name, list := range bySub {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, dl := range list {
					if ctx.Err() != nil {
						return
					}
					d.attempt(ctx, name, dl)
				}
			}()
		}
		wg.Wait()
		if len(due) < 200 {
			return
		}
	}
}

// attempt makes one try of a delivery and records its outcome.
func (d *Dispatcher) attempt(ctx context.Context, name string, dl store.Delivery) {
	sub, ok := d.subs[name]
	dl.Attempts++
	if !ok {
		dl.State, dl.LastError = store.DeliveryFailed, "webhook "+name+" is no longer configured"
		d.update(ctx, dl)
		return
	}
	body := events.WithSequence(dl.Event, dl.EventSeq)
	status, err := d.post(ctx, sub, dl, body)
	if ctx.Err() != nil {
		return // shutting down: the try is made again at the next start
	}
	now := d.cfg.Clock.Now()
	dl.LastStatus = status
	if err == nil {
		dl.State, dl.LastError, dl.DeliveredAt = store.DeliveryDelivered, "", now
		d.update(ctx, dl)
		return
	}
	dl.LastError = err.Error()
	if dl.Attempts >= d.cfg.MaxAttempts {
		dl.State = store.DeliveryFailed
		d.log.Error("gave up delivering an event to a webhook", "webhook", name, "event", dl.EventID, "attempts", dl.Attempts, "error", err)
	} else {
		dl.NextAttempt = now.Add(d.backoff(dl.Attempts))
		d.log.Warn("webhook delivery failed; will retry", "webhook", name, "event", dl.EventID, "attempt", dl.Attempts, "retry_at", dl.NextAttempt, "error", err)
	}
	d.update(ctx, dl)
}

// backoff is the wait after the n-th failed try.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := d.cfg.FirstRetry
	for i := 1; i < n && w < d.cfg.MaxRetry; i++ {
		w *= 2
	}
	return min(w, d.cfg.MaxRetry)
}

func (d *Dispatcher) post(ctx context.Context, sub Subscription, dl store.Delivery, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	req.Header.Set("User-Agent", "caravan-webhook")
	req.Header.Set(SignatureHeader, Sign(sub.Secret, d.cfg.Clock.Now(), body))
	req.Header.Set("Caravan-Delivery", strconv.FormatInt(dl.ID, 10))
	req.Header.Set("Caravan-Attempt", strconv.Itoa(dl.Attempts))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("error posting to %s: %w", sub.URL, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("%s answered %s", sub.URL, resp.Status)
	}
	return resp.StatusCode, nil
}

// update records a try, retrying while the store fails and ctx lasts.
func (d *Dispatcher) update(ctx context.Context, dl store.Delivery) {
	for delay := 100 * time.Millisecond; ctx.Err() == nil; delay = min(2*delay, 5*time.Second) {
		err := d.cfg.Log.UpdateDelivery(ctx, dl)
		if err == nil {
			return
		}
		d.log.Warn("cannot record a webhook delivery; retrying", "delivery", dl.ID, "error", err)
		ch := make(chan struct{})
		t := d.cfg.Clock.AfterFunc(delay, func() { close(ch) })
		select {
		case <-ctx.Done():
			t.Stop()
		case <-ch:
		}
	}
}
