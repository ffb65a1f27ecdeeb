package aks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/caravan-dev/caravan/cluster"
)

// Writes (the managed cluster and agent pool PUTs, the
// upgradeNodeImageVersion POST) are never retried blindly: a write whose
// answer was lost may have been applied, and sending it again would begin
// the operation a second time (a POST re-images every node of the pool
// again). The SDK retries a write only when the cloud answered 429, which
// ARM sends before it looks at a request. Any other failure of a write
// that could hide an applied request (no answer, a 408 or 5xx, a 409 or
// 412 that may be the answer to a copy of the request) is settled by
// reading the cluster: an operation under way that moves the cluster the
// way the write asked, or a step found done, is the write's own and is
// followed; a cluster that shows nothing of it is written again only
// after that read.

// writeRetry is the SDK retry policy of one write: the configured one,
// retrying throttled answers only.
func (p *Provider) writeRetry() policy.RetryOptions {
	return policy.RetryOptions{
		MaxRetries:    p.cfg.Retry.MaxRetries,
		RetryDelay:    p.cfg.Retry.Delay,
		MaxRetryDelay: p.cfg.Retry.MaxDelay,
		TryTimeout:    p.cfg.Retry.TryTimeout,
		ShouldRetry:   throttled,
	}
}

// throttled reports an answer that says the request was refused before
// it was looked at: 429 Too Many Requests.
func throttled(resp *http.Response, err error) bool {
	return err == nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests
}

// uncertain reports whether a failed write may have been applied: no
// answer arrived, or the answer (a timeout, a server fault, a conflict or
// a failed precondition) may belong to another copy of the request.
func uncertain(err error) bool {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch s := re.StatusCode; {
		case s == http.StatusTooManyRequests:
			return false
		case s == http.StatusRequestTimeout, s == http.StatusConflict, s == http.StatusPreconditionFailed, s >= 500:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ce *cluster.Error
	if errors.As(err, &ce) && ce.Err == nil {
		return false // refused by the provider before anything was sent
	}
	return true
}

// write begins step s on the cluster as observed. When the answer is lost
// or may be another's, it reads the cluster (with offers) and returns that
// read: if an operation moving the cluster towards s is under way, or s is
// done, the write took effect and the returned lro follows what the cloud
// does from there. If the cluster shows nothing of the write, the write's
// error is returned and nothing was begun. When even the read fails, the
// outcome is unknown: the lro is returned, to be settled by the next
// observation.
func (p *Provider) write(ctx context.Context, id clusterID, obs *observation, tgt target, s step, offers offerUse) (lro, *observation, error) {
	l, err := p.begin(ctx, id, obs, s)
	if err == nil || !uncertain(err) || ctx.Err() != nil {
		return l, nil, err
	}
	lost := &lostWrite{err: asError(err, "error beginning the "+s.String()+" of cluster "+id.name), failedBefore: obs.failed}
	after, oerr := p.observe(ctx, id, offers)
	if oerr != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return lost, nil, nil
	}
	if after.working(s) {
		return lost, after, nil
	}
	if !after.cluster.Busy {
		if next, ok := nextStep(after.cluster, tgt); !ok || next != s {
			return lost, after, nil // done already, or moved past s
		}
		if after.failed && !obs.failed {
			return lost, after, nil // it ran and failed: the next look reports it
		}
	}
	return nil, after, err
}

// lostWrite is a write whose answer was lost (or belonged to another copy
// of the request) but which may have taken effect. Waiting for it reports
// it lost at once, so the caller reads the cluster and goes on from what
// it finds.
type lostWrite struct {
	err error
	// failedBefore: the cluster was in a Failed state before the write, so
	// a Failed state after it is not the write's outcome.
	failedBefore bool
}

func (l *lostWrite) wait(ctx context.Context, _ target) (*observation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &lostError{err: l.err}
}

// working reports whether the observed cluster runs an operation that
// moves it the way step s asks: the operation s began, or one like it.
func (o *observation) working(s step) bool {
	var mc clusterSummary
	if json.Unmarshal(o.body, &mc) != nil || mc.Properties == nil {
		return false
	}
	props := mc.Properties
	if s.onCluster() {
		return !terminal(deref(props.ProvisioningState)) && sameVersion(deref(props.KubernetesVersion), s.version)
	}
	for _, ap := range props.AgentPoolProfiles {
		if ap == nil || !strings.EqualFold(deref(ap.Name), s.pool) {
			continue
		}
		state := deref(ap.ProvisioningState)
		if terminal(state) {
			return false
		}
		switch s.kind {
		case stepPoolVersion:
			return sameVersion(deref(ap.OrchestratorVersion), s.version)
		default:
			return strings.EqualFold(state, "UpgradingNodeImageVersion") || strings.EqualFold(state, "Upgrading")
		}
	}
	return false
}
