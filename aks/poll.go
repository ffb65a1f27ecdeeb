package aks

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// interval decides how long to wait before the next look: an interval
// that starts small and grows by half up to a maximum, unless the server
// says when. A hint to the millisecond (retry-after-ms, as the simulated
// cloud gives) is followed exactly. A hint in whole seconds (Retry-After,
// as ARM gives, rounded up and often a fixed figure) is a ceiling: the
// provider looks at its own growing interval while that is shorter, so an
// operation of 200 ms is not followed for a whole second, and never waits
// longer than the server asked.
type interval struct {
	next, max time.Duration
	now       func() time.Time
}

func (p *Provider) newInterval() *interval {
	return &interval{next: p.cfg.Poll.Initial, max: p.cfg.Poll.Max, now: p.cfg.Now}
}

// after returns the wait before the next look, given the last response
// (nil when there was none or it carried no hint).
func (iv *interval) after(resp *http.Response) time.Duration {
	hint, ok := retryAfter(resp, iv.now())
	if ok && exactHint(resp) {
		return hint
	}
	d := iv.next
	iv.next = min(iv.next+iv.next/2, iv.max)
	if ok {
		return min(d, hint)
	}
	return d
}

// looks returns the wait before the first look at an operation that the
// answer initial began, and a function giving the wait before each later
// look. The first follows initial's hint (see after), or is none when
// initial says the operation already succeeded. Later ones grow with the
// interval; a hint in whole seconds stays their ceiling, since the reads
// that follow the operation carry none of their own.
func (iv *interval) looks(initial *http.Response) (time.Duration, func() time.Duration) {
	ceiling, capped := wholeSecondHint(initial)
	next := func() time.Duration {
		d := iv.after(nil)
		if capped {
			d = min(d, ceiling)
		}
		return d
	}
	first := iv.after(initial)
	if succeeded(initial) {
		first = 0
	}
	return first, next
}

// wholeSecondHint returns the Retry-After of an answer given in seconds,
// when no exact hint comes with it: ARM's.
func wholeSecondHint(resp *http.Response) (time.Duration, bool) {
	if resp == nil || exactHint(resp) {
		return 0, false
	}
	s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64)
	if err != nil || s <= 0 {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

// exactHint reports whether the response says when to look again to the
// millisecond.
func exactHint(resp *http.Response) bool {
	for _, h := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := resp.Header.Get(h); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
				return true
			}
		}
	}
	return false
}

// retryAfter reads the server's hint: retry-after-ms or x-ms-retry-after-ms
// in milliseconds, else Retry-After in seconds or as an HTTP date. A hint
// of zero means "look again now" and is reported as present.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	for _, h := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := resp.Header.Get(h); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lro is a cloud operation under way.
type lro interface {
	// wait follows the operation to its end. It returns the read of the
	// cluster that shows the end, with the offers tgt needs, when it made
	// one (nil otherwise: the caller reads the cluster), and nil error
	// when the operation succeeded; an error with reason Failed when it
	// ended Failed or Canceled, a lostError when it can no longer be
	// followed, or ctx's error.
	wait(ctx context.Context, tgt target) (*observation, error)
}

// lostError says an operation could not be followed to its end; its
// outcome has to be read from the cluster instead.
type lostError struct{ err error }

func (e *lostError) Error() string { return e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

// succeeded reports whether a response says an operation succeeded: an
// operation status whose status is Succeeded, or a resource whose
// provisioningState is Succeeded (the answer to a write whose operation
// ended as it began).
func succeeded(resp *http.Response) bool {
	if resp == nil || resp.StatusCode != http.StatusOK {
		return false
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return false
	}
	var v struct {
		Status     string `json:"status"`
		Properties *struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	if v.Status != "" {
		return strings.EqualFold(v.Status, "Succeeded")
	}
	return v.Properties != nil && strings.EqualFold(v.Properties.ProvisioningState, "Succeeded")
}

// waitIdle waits until no operation runs on the cluster and returns the
// observation that shows it idle, with the offers asked for.
func (p *Provider) waitIdle(ctx context.Context, id clusterID, offers offerUse) (*observation, error) {
	cs, err := p.clients(id.subscription)
	if err != nil {
		return nil, err
	}
	iv := p.newInterval()
	for {
		obs, err := p.read(ctx, cs, id)
		if err == nil {
			lookSucceeded(ctx)
			if !obs.cluster.Busy {
				if err = p.addOffers(ctx, cs, id, obs, offers); err == nil {
					return obs, nil
				}
			}
		}
		if err != nil {
			if err := settleLook(ctx, err); err != nil {
				return nil, err
			}
		}
		if err := sleep(ctx, iv.after(nil)); err != nil {
			return nil, err
		}
	}
}
