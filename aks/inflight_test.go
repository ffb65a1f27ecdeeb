package aks_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/aks"
	"github.com/caravan-dev/caravan/simcloud"
)

// Reads of many clusters at once are sent at most MaxInFlight at a time:
// here the cloud holds each request until as many as the cap have
// arrived (and a while longer, for any past the cap to show), and never
// sees more at once; every read still gets its answer.
func TestRequestsInFlightAreCapped(t *testing.T) {
	const maxInFlight, reads = 4, 40
	var now, most, arrived atomic.Int64
	full := make(chan struct{})
	var once sync.Once
	hold := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := now.Add(1)
			defer now.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if arrived.Add(1) == maxInFlight {
				once.Do(func() { time.AfterFunc(50*time.Millisecond, func() { close(full) }) })
			}
			<-full
			next.ServeHTTP(w, r)
		})
	}
	e := newSim(t, simcloud.Options{}, hold)
	var ids []string
	for i := range reads {
		ids = append(ids, e.twoPoolCluster(t, fmt.Sprintf("c%02d", i), "eastus", "0", nil))
	}
	p := e.provider(t, func(c *aks.Config) { c.MaxInFlight = maxInFlight })
	var wg sync.WaitGroup
	errs := make(chan error, reads)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Describe(context.Background(), id); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if m := most.Load(); m > maxInFlight {
		t.Fatalf("the cloud saw %d requests at once; MaxInFlight is %d", m, maxInFlight)
	}
	if m := most.Load(); m < maxInFlight {
		t.Fatalf("the cloud saw at most %d requests at once; want the cap, %d, reached", m, maxInFlight)
	}
}
