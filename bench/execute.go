package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/store"
)

// runTiming is what one measured run took.
type runTiming struct {
	sent time.Time // when its start request was sent
	// started is when the engine accepted the start, ended when the
	// committed write of the run's completion arrived (see
	// commitWatch); the run's wall time is between the two.
	started, ended time.Time
	critical       time.Duration
}

func (r runTiming) wall() time.Duration { return r.ended.Sub(r.started) }

// accept is how long the start request took to be accepted.
func (r runTiming) accept() time.Duration { return r.started.Sub(r.sent) }

// measurement is what the measured part of a scenario observed.
type measurement struct {
	runs  []runTiming
	span  time.Duration // from the first start request to the last completion
	cpu   time.Duration
	peak  int64
	probe *probe
	// writes and written are the engine's writes of runs and the bytes
	// they handed the store; calibration what calibrate and
	// calibrateEngine measured just before; load the load average
	// before and after.
	writes, written       int64
	requests              cloudRequests
	calibration           calibration
	loadBefore, loadAfter float64
}

// execute starts the plan's runs (together, or one after another) and
// waits until each has completed.
func (e *env) execute(ctx context.Context, p plan, prof *profiles) (*measurement, error) {
	m := &measurement{runs: make([]runTiming, len(p.runs))}
	m.calibration.sha256 = calibrate()
	var err error
	if m.calibration.engine, err = calibrateEngine(ctx); err != nil {
		return nil, err
	}
	if m.calibration.provider, err = calibrateProvider(ctx); err != nil {
		return nil, err
	}
	m.loadBefore = loadAverage()
	for i, r := range p.runs {
		m.runs[i].critical = criticalPath(r, func(member int) time.Duration { return p.timing(r.fleet, member).total })
	}
	ids := make([]string, len(p.runs))
	for i, r := range p.runs {
		ids[i] = e.runPath(p, r)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch := watchCommits(watchCtx, e.srv.Feed, clock.Real{}, ids)
	requests := countCloudRequests(e.srv.Metrics.Handler())
	startPeak()
	if err := prof.start(); err != nil {
		return nil, err
	}
	defer prof.stop()
	before := cpuTime()
	writes, written := e.srv.Engine.Writes()
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	probed := make(chan *probe, 1)
	if p.probe {
		r := p.runs[0]
		go func() {
			probed <- runProbe(probeCtx, e.api, e.runPath(p, r), e.fleetPath(p.fleets[r.fleet].name)+"/members")
		}()
	}
	if p.together {
		err = e.startAll(ctx, p, m, watch, allRuns(len(p.runs)))
	} else {
		for i := range p.runs {
			if err = e.startAll(ctx, p, m, watch, []int{i}); err != nil {
				break
			}
		}
	}
	stopProbe()
	if p.probe {
		m.probe = <-probed
	}
	if err != nil {
		return nil, err
	}
	m.cpu = cpuTime() - before
	m.loadAfter = loadAverage()
	w, b := e.srv.Engine.Writes()
	m.writes, m.written = w-writes, b-written
	m.requests = countCloudRequests(e.srv.Metrics.Handler()).since(requests)
	m.peak = peakRSS()
	if err := prof.stop(); err != nil {
		return nil, err
	}
	m.span = span(m.runs, p.together)
	if m.probe != nil && m.probe.err != nil {
		return nil, fmt.Errorf("error reading the API while the run went on: %w", m.probe.err)
	}
	return m, e.checkCloud(p)
}

func allRuns(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// span is from the first start request to the last completion when the
// runs start together, and the sum of each run's span from its request to
// its completion when they go one after another.
func span(runs []runTiming, together bool) time.Duration {
	if len(runs) == 0 {
		return 0
	}
	if !together {
		var total time.Duration
		for _, r := range runs {
			total += r.ended.Sub(r.sent)
		}
		return total
	}
	first, last := runs[0].sent, runs[0].ended
	for _, r := range runs {
		first = minTime(first, r.sent)
		last = maxTime(last, r.ended)
	}
	return last.Sub(first)
}

// startAll sends the start requests of the given runs at once and waits
// until every one of them has completed, as the feed tells.
func (e *env) startAll(ctx context.Context, p plan, m *measurement, watch *commitWatch, which []int) error {
	errs := make([]error, len(which))
	var wg sync.WaitGroup
	for k, i := range which {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := e.runPath(p, p.runs[i])
			m.runs[i].sent = time.Now()
			if _, err := e.api.do(ctx, "POST", path+"/start", nil, nil); err != nil {
				errs[k] = fmt.Errorf("error starting update run %s: %w", path, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, i := range which {
		path := e.runPath(p, p.runs[i])
		c, err := watch.wait(ctx, path)
		if err != nil {
			return err
		}
		if err := e.completion(ctx, store.CanonicalID(path), c, p.runs[i].size()); err != nil {
			return err
		}
		m.runs[i].started, m.runs[i].ended = c.started, c.ended
	}
	return nil
}

// completion reads a run whose end the feed told of and checks that it
// completed with every member upgraded, and that the write the feed told
// of is the one stored; anything else is an error.
func (e *env) completion(ctx context.Context, id string, c runCommits, size int) error {
	run, rec, err := store.Load[fleet.UpdateRun](ctx, e.srv.Store, store.Runs, id)
	if err != nil {
		return fmt.Errorf("error reading update run %s: %w", id, err)
	}
	st := run.Properties.Status
	if st == nil || st.Status.State != fleet.Completed || st.Status.CompletedTime == nil {
		state, msg := fleet.State("unknown"), ""
		if st != nil {
			state = st.Status.State
			if st.Status.Error != nil {
				msg = ": " + st.Status.Error.Message
			}
		}
		return fmt.Errorf("update run %s ended %s%s", run.Name, state, msg)
	}
	if c.state != fleet.Completed || c.etag != rec.ETag {
		return fmt.Errorf("update run %s: the feed told of its end as %s with ETag %s, but the store holds ETag %s: the run was written after it ended", run.Name, c.state, c.etag, rec.ETag)
	}
	upgraded := 0
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, mem := range g.Members {
				if mem.Status.State != fleet.Completed {
					return fmt.Errorf("update run %s completed with member %s %s (%s), not upgraded", run.Name, mem.Name, mem.Status.State, mem.Message)
				}
				upgraded++
			}
		}
	}
	if upgraded != size {
		return fmt.Errorf("update run %s upgraded %d members, want %d", run.Name, upgraded, size)
	}
	return nil
}

// checkCloud checks in the simulated cloud's record that every member's
// cluster was upgraded exactly once, and nothing more: one control plane
// and one node pool upgrade each, every one succeeded.
func (e *env) checkCloud(p plan) error {
	want := 0
	for _, r := range p.runs {
		want += r.size()
	}
	count := map[simcloud.OperationKind]int{}
	for _, op := range e.srv.Cloud.Operations(simcloud.OperationFilter{}) {
		if op.Result != simcloud.ResultSucceeded {
			return fmt.Errorf("the simulated cloud's operation %s (%s on %s) ended %s", op.OperationID, op.Kind, op.Cluster, op.Result)
		}
		count[op.Kind]++
	}
	for _, k := range []simcloud.OperationKind{simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool} {
		if count[k] != want {
			return fmt.Errorf("the simulated cloud recorded %d operations of kind %s, want %d (one per member upgraded)", count[k], k, want)
		}
	}
	if n := count[simcloud.KindUpgradeNodeImage]; n != 0 {
		return fmt.Errorf("the simulated cloud recorded %d node image upgrades, want none (the version upgrades bring the newest images)", n)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
