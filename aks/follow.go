package aks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/caravan-dev/caravan/cluster"
)

// An operation a step began is followed where its end shows: the managed
// cluster. The provider reads the cluster (the GET and decoding every
// observation uses) until its provisioning state, and that of every pool,
// is terminal; that read is the operation's end and the observation the
// next step, or the caller's End, is decided from. Following the
// operation status URL instead would cost a GET of the cluster more per
// step, after the status said Succeeded. The status URL is read only when
// the cluster alone cannot tell: a terminal state that shows nothing of
// the step, or a Failed or Canceled state, whose code and message only
// the status carries.

// following is a step's operation under way, followed through the
// managed cluster.
type following struct {
	p  *Provider
	cs *clientSet
	id clusterID
	s  step
	// initial is the answer that began it: when to look first, and the
	// operation status URL (Azure-AsyncOperation).
	initial *http.Response
	what    string
}

// wait follows the operation to its end and returns the read that shows
// it ended, with the region's offers tgt needs: nil error when it
// succeeded, reason Failed with the cloud's code and message when it
// ended Failed or Canceled, or ctx's error.
//
// The first look is when the answer that began the operation says
// (retry-after-ms exactly; Retry-After in whole seconds as a ceiling on
// the provider's own interval, see interval), then the interval grows,
// never past a whole-second hint. A transient failure of a look is
// reported and the look repeated.
//
// A read made right after the write shows the operation under way on
// ARM, which records the new provisioning state before it answers the
// write. A read that shows the cluster idle is therefore taken as the
// end only when it shows the step done; a terminal state without the
// step's effect is either a stale read or an operation that ended without
// effect, and only the operation's status can tell which: the status URL
// decides (in progress: go on following; failed: report it; succeeded:
// read once more, and what that read shows is the end, so a step that
// took no effect is reported by the caller). A Failed state is checked
// the same way, so a state left by an earlier failure is never taken for
// this operation's. Comparing the read's eTag with the one the write
// was based on would catch a read from before the write, but could not
// tell an operation that ended without effect from one still running;
// the status tells both, and costs a request only in these cases.
func (f *following) wait(ctx context.Context, tgt target) (*observation, error) {
	wait, next := f.p.newInterval().looks(f.initial)
	checked := false // the status said Succeeded for a read that showed nothing of the step
	for {
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait = next()
		obs, err := f.p.read(ctx, f.cs, f.id)
		if err != nil {
			if err := settleLook(ctx, err); err != nil {
				return nil, err
			}
			continue
		}
		lookSucceeded(ctx)
		if obs.cluster.Busy {
			continue
		}
		ended := false // the status said Succeeded for this read
		if (obs.failed || obs.canceled) && !checked {
			st, failure, err := f.status(ctx, next)
			if err != nil {
				return nil, err
			}
			switch st {
			case opInProgress:
				continue // a state left by an earlier operation
			case opFailed:
				return nil, failure
			case opUnknown:
				return nil, f.endedIn(obs)
			}
			// Succeeded: the Failed state is another's (a pool that
			// failed before); this operation's effect decides.
			ended = true
		}
		if err := f.p.addOffers(ctx, f.cs, f.id, obs, tgt.offersNeeded()); err != nil {
			if err := settleLook(ctx, err); err != nil {
				return nil, err
			}
			continue
		}
		if s, ok := nextStep(obs.cluster, tgt); ok && s == f.s && !checked {
			st, failure := opSucceeded, error(nil)
			if !ended {
				var err error
				if st, failure, err = f.status(ctx, next); err != nil {
					return nil, err
				}
			}
			switch st {
			case opInProgress:
				continue
			case opFailed:
				return nil, failure
			case opSucceeded:
				checked, wait = true, 0
				continue
			}
		}
		return obs, nil
	}
}

// opState is where an operation stands as its status URL says.
type opState int

const (
	// opUnknown: the operation has no status URL, or it is gone.
	opUnknown opState = iota
	opInProgress
	opSucceeded
	opFailed
)

// status reads the operation's status URL, retrying transient failures
// after next(). For opFailed it returns the failure with the cloud's code
// and message; err is ctx's error.
func (f *following) status(ctx context.Context, next func() time.Duration) (opState, error, error) {
	if f.initial == nil {
		return opUnknown, nil, nil
	}
	url := f.initial.Header.Get("Azure-AsyncOperation")
	if url == "" {
		return opUnknown, nil, nil
	}
	for {
		st, failure, err := f.readStatus(ctx, url)
		if err == nil {
			lookSucceeded(ctx)
			return st, failure, nil
		}
		if ctx.Err() != nil {
			return opUnknown, nil, ctx.Err()
		}
		if reason(err) != cluster.Transient {
			return opUnknown, nil, nil // gone: the cluster's state tells what is known
		}
		lookFailed(ctx, err)
		if err := sleep(ctx, next()); err != nil {
			return opUnknown, nil, err
		}
	}
}

// readStatus makes one read of an operation status resource
// ({"status": "InProgress"|"Succeeded"|"Failed"|"Canceled", "error": ...}).
func (f *following) readStatus(ctx context.Context, url string) (opState, error, error) {
	what := "error reading the status of the " + f.what
	req, err := runtime.NewRequest(ctx, http.MethodGet, url)
	if err != nil {
		return opUnknown, nil, asError(err, what)
	}
	resp, err := f.cs.raw.Pipeline().Do(req)
	if err != nil {
		return opUnknown, nil, asError(err, what)
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return opUnknown, nil, asError(runtime.NewResponseError(resp), what)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return opUnknown, nil, asError(err, what)
	}
	var v struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return opUnknown, nil, cluster.Errorf(cluster.Transient, "InvalidResponse", "%s: the answer is not an operation status: %v", what, err)
	}
	switch {
	case strings.EqualFold(v.Status, "Succeeded"):
		return opSucceeded, nil, nil
	case strings.EqualFold(v.Status, "Failed"), strings.EqualFold(v.Status, "Canceled"), strings.EqualFold(v.Status, "Cancelled"):
		failed := "the " + f.what + " ended " + v.Status
		var re *azcore.ResponseError
		if errors.As(runtime.NewResponseError(resp), &re) {
			if code, _ := armError(re); code != "" {
				return opFailed, operationFailed(re, failed), nil
			}
		}
		return opFailed, cluster.Errorf(cluster.Failed, "Operation"+v.Status, "%s without saying why; look at the cluster's activity log for the cause, then start the upgrade again", failed), nil
	}
	return opInProgress, nil, nil
}

// endedIn reports an operation that ended Failed or Canceled on a cluster
// whose status URL is gone: the state is all that is known.
func (f *following) endedIn(obs *observation) error {
	state := "Failed"
	if !obs.failed {
		state = "Canceled"
	}
	return cluster.Errorf(cluster.Failed, "ProvisioningState"+state,
		"the %s ended with the cluster in provisioning state %s; look at the cluster's activity log for the cause, then start the upgrade again", f.what, state)
}
