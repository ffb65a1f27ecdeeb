package simcloud

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxFaultStreak is how many times in a row one request (method and path)
// may be faulted. Azure's SDKs retry three times by default, so a client
// with default retry options always gets through.
const maxFaultStreak = 2

// faultInjector answers a fraction of ARM requests with transient errors.
// Which requests is decided from the seed and the order requests arrive
// in, before a request is looked at, so a faulted request never changed
// anything.
type faultInjector struct {
	seed int64
	rate float64

	mu sync.Mutex
	n  uint64
	// streak counts consecutive faults per request; only requests whose
	// last answer was a fault are present.
	streak map[string]int
}

func newFaultInjector(seed int64, rate float64) *faultInjector {
	return &faultInjector{seed: seed, rate: min(rate, 1), streak: map[string]int{}}
}

// faultDelay is how long a faulted client is told to wait: one second of
// simulated time.
func (cl *Cloud) faultDelay() time.Duration {
	return max(time.Duration(float64(time.Second)/cl.speed), time.Millisecond)
}

// inject decides whether to fault r and, if so, answers it. It reports
// whether it answered.
func (f *faultInjector) inject(w http.ResponseWriter, r *http.Request, delay time.Duration, wholeSeconds bool) bool {
	key := r.Method + " " + strings.ToLower(r.URL.Path)
	f.mu.Lock()
	f.n++
	u := unit(f.seed, f.n, 0xFA017)
	pick := unit(f.seed, f.n, 0x5EED)
	fault := u < f.rate && f.streak[key] < maxFaultStreak
	if fault {
		f.streak[key]++
	} else {
		delete(f.streak, key)
	}
	f.mu.Unlock()
	if !fault {
		return false
	}
	var e *armError
	switch {
	case pick < 0.5:
		e = newARMError(http.StatusTooManyRequests, CodeTooManyRequests,
			"The request is being throttled (simulated fault). Retry after the time in the Retry-After header.")
	case pick < 0.75:
		e = newARMError(http.StatusInternalServerError, CodeInternalServerError,
			"The server had an internal error (simulated fault); nothing was changed. Retry the request.")
	default:
		e = newARMError(http.StatusServiceUnavailable, CodeServiceUnavailable,
			"The service is temporarily unavailable (simulated fault); nothing was changed. Retry the request.")
	}
	h := map[string]string{}
	addRetryAfter(h, delay, wholeSeconds)
	for k, v := range h {
		w.Header().Set(k, v)
	}
	writeARMError(w, e)
	return true
}
