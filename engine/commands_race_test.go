package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

// TestStartStopNeverAnswersShuttingDown starts and stops runs of a
// running engine in quick succession, from several callers at once. A
// stop that leaves nothing in flight lets the run's runner retire right
// after it replies; the reply must still reach the caller, never "the
// engine is shutting down".
func TestStartStopNeverAnswersShuttingDown(t *testing.T) {
	e := newEnv(t)
	e.cloud.SetRegion("nowhere", fakeRegion(nil, nil)) // offers nothing: members wait, nothing in flight
	const runs, rounds = 8, 200
	var ids []string
	for i := range runs {
		e.members = nil
		e.member(fmt.Sprintf("m%d", i), "", "nowhere", "1.30.4")
		ids = append(ids, e.createRun(fmt.Sprintf("r%d", i), nil, full("1.31.2")))
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, runs*rounds*2)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if _, err := e.eng.StartRun(ctx, id, ""); err != nil {
					errs <- fmt.Errorf("start %s: %w", id, err)
				}
				if _, err := e.eng.StopRun(ctx, id, ""); err != nil {
					errs <- fmt.Errorf("stop %s: %w", id, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d commands failed", n, runs*rounds*2)
	}
	t.Logf("%d starts and stops of %d runs: none refused", runs*rounds*2, runs)
	for _, id := range ids {
		if s := e.runState(id); s != fleet.Stopped {
			t.Errorf("run %s is %s after its last stop, want Stopped", id, s)
		}
	}
}
