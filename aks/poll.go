package aks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/caravan-dev/caravan/cluster"
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
	// wait returns nil when the operation succeeded, an error with reason
	// Failed when it ended Failed or Canceled, a lostError when it can no
	// longer be followed, or ctx's error.
	wait(ctx context.Context) error
}

// lostError says an operation could not be followed to its end through
// its polling URL; its outcome has to be read from the cluster instead.
type lostError struct{ err error }

func (e *lostError) Error() string { return e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

// pollerLRO follows an SDK poller with Poll, Done and Result.
type pollerLRO[T any] struct {
	p       *Provider
	cs      *clientSet
	poller  *runtime.Poller[T]
	initial *http.Response // the response that began it, for its Retry-After
	what    string
}

func (l *pollerLRO[T]) wait(ctx context.Context) error {
	iv := l.p.newInterval()
	resp := l.initial
	for !l.poller.Done() {
		if err := sleep(ctx, iv.after(resp)); err != nil {
			return err
		}
		r, err := l.poller.Poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e := asError(err, "error following the "+l.what)
			if reason(e) != cluster.Transient {
				return &lostError{err: e}
			}
			lookFailed(ctx, e)
			resp = nil // poll again after the growing interval
			continue
		}
		lookSucceeded(ctx)
		resp = r
	}
	if succeeded(resp) {
		// The last response says so: the final GET of the resource
		// would tell nothing the next observation does not.
		return nil
	}
	for {
		_, err := l.poller.Result(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var re *azcore.ResponseError
		if !errors.As(err, &re) {
			return &lostError{err: asError(err, "error reading the result of the "+l.what)}
		}
		switch e := asError(err, "error reading the result of the "+l.what); reason(e) {
		case cluster.Transient:
			lookFailed(ctx, e)
			if err := sleep(ctx, iv.after(nil)); err != nil {
				return err
			}
		case cluster.NotFound:
			return e
		default:
			return l.failure(ctx, re)
		}
	}
}

// failure reports the operation's failure with the cloud's code. When the
// terminal response carries no ARM error (a resource body whose
// provisioningState says Failed), the code is read from the operation
// status URL the operation began with.
func (l *pollerLRO[T]) failure(ctx context.Context, re *azcore.ResponseError) error {
	what := "the " + l.what + " failed"
	if code, _ := armError(re); code != "" || l.initial == nil {
		return operationFailed(re, what)
	}
	status := l.initial.Header.Get("Azure-AsyncOperation")
	if status == "" {
		return operationFailed(re, what)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, status)
	if err != nil {
		return operationFailed(re, what)
	}
	resp, err := l.cs.raw.Pipeline().Do(req)
	if err != nil {
		return operationFailed(re, what)
	}
	defer resp.Body.Close()
	var sre *azcore.ResponseError
	if errors.As(runtime.NewResponseError(resp), &sre) {
		if code, _ := armError(sre); code != "" {
			return operationFailed(sre, what)
		}
	}
	return operationFailed(re, what)
}

// succeeded reports whether a response that ended an operation says it
// succeeded: an operation status whose status is Succeeded, or a resource
// whose provisioningState is Succeeded (the first response of an
// operation that ended as it began).
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
// observation that shows it idle.
func (p *Provider) waitIdle(ctx context.Context, id clusterID) (*observation, error) {
	iv := p.newInterval()
	for {
		obs, err := p.observe(ctx, id, noOffers)
		switch {
		case err == nil:
			lookSucceeded(ctx)
			if !obs.cluster.Busy {
				return obs, nil
			}
		case reason(err) != cluster.Transient:
			return nil, err
		default:
			lookFailed(ctx, err)
		}
		if err := sleep(ctx, iv.after(nil)); err != nil {
			return nil, err
		}
	}
}
