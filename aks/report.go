package aks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/caravan-dev/caravan/cluster"
)

// reporter passes what following an operation meets to the operation's
// Report: each look at the cloud that failed, and the first that succeeds
// after one failed.
type reporter struct {
	endpoint string
	fn       func(error)

	mu      sync.Mutex
	failing bool
}

type reporterKey struct{}

// withReporter returns ctx carrying the reporter of t's operation: it
// tells the Report of every caller attached to t.
func (p *Provider) withReporter(ctx context.Context, t *tracker) context.Context {
	return context.WithValue(ctx, reporterKey{}, &reporter{endpoint: p.endpoint(), fn: func(err error) {
		p.mu.Lock()
		fns := slices.Clone(t.reports)
		p.mu.Unlock()
		for _, fn := range fns {
			fn(err)
		}
	}})
}

// endpoint is the ARM endpoint as users know it.
func (p *Provider) endpoint() string {
	if p.cfg.Endpoint == "" {
		return "https://management.azure.com"
	}
	return p.cfg.Endpoint
}

// settleLook settles a look at the cloud that failed: it returns the
// error to give up with (ctx's end, or a failure that looking again will
// not mend), or nil after reporting a passing failure (lookFailed), when
// the caller looks again.
func settleLook(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if reason(err) != cluster.Transient {
		return err
	}
	lookFailed(ctx, err)
	return nil
}

// lookFailed reports a look at the cloud that failed with a transient
// error, which the caller is about to try again.
func lookFailed(ctx context.Context, err error) {
	r, _ := ctx.Value(reporterKey{}).(*reporter)
	if r == nil || ctx.Err() != nil || reason(err) != cluster.Transient {
		return
	}
	r.mu.Lock()
	r.failing = true
	r.mu.Unlock()
	r.fn(unreachable(r.endpoint, err))
}

// lookSucceeded reports a look that succeeded, if the last one failed.
func lookSucceeded(ctx context.Context) {
	r, _ := ctx.Value(reporterKey{}).(*reporter)
	if r == nil {
		return
	}
	r.mu.Lock()
	was := r.failing
	r.failing = false
	r.mu.Unlock()
	if was {
		r.fn(nil)
	}
}

// unreachable describes a failed look for the member it holds up: what
// the network said when no answer came, or the cloud's answer.
func unreachable(endpoint string, err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code, msg := cloudError(re)
		return cluster.Errorf(cluster.Transient, "CloudUnavailable", "the cloud at %s answers %d %s: %s", endpoint, re.StatusCode, code, msg)
	}
	cause := err
	var op *net.OpError
	if errors.As(err, &op) {
		cause = op
	} else if ce := (*cluster.Error)(nil); errors.As(err, &ce) && ce.Err != nil {
		cause = ce.Err
	}
	return &cluster.Error{Reason: cluster.Transient, Code: "CloudUnreachable", Message: fmt.Sprintf("cannot reach the cloud at %s: %v", endpoint, cause), Err: err}
}
