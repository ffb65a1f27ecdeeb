package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// scenario is a random fleet, strategy and sequence of things that happen
// to a run: upgrades ending (some failing), time passing, stops, starts,
// skips, a lagging region catching up and, in the crash variant, the
// engine dying at random writes.
type scenario struct {
	strategy *fleet.RunStrategy
	members  []scenarioMember
	actions  []action
	crashes  []crashPoint
}

type scenarioMember struct {
	name, group, region string
	atTarget            bool
	failFirst           bool
}

type actionKind int

const (
	actFinish actionKind = iota
	actAdvance
	actStop
	actStart
	actSkip
	actPublish
	actApprove
)

type action struct {
	kind  actionKind
	pick  int
	delay time.Duration
}

type crashPoint struct {
	write       int  // the write that crashes, counted from the last restart
	afterWrite  bool // the write reaches the store before the crash
	restartWait time.Duration
}

func drawScenario(t *rapid.T, crashes bool) scenario {
	var sc scenario
	sc.strategy = &fleet.RunStrategy{}
	nStages := rapid.IntRange(1, 4).Draw(t, "stages")
	g := 0
	for s := 0; s < nStages; s++ {
		st := fleet.Stage{Name: fmt.Sprintf("s%d", s)}
		if rapid.Bool().Draw(t, "wait") {
			st.AfterStageWaitInSeconds = rapid.IntRange(1, 900).Draw(t, "waitSeconds")
		}
		st.MaxConcurrency = rapid.SampledFrom([]string{"", "", "1", "2", "3", "50%"}).Draw(t, "stageConc")
		st.BeforeGates = drawGates(t)
		st.AfterGates = drawGates(t)
		for n := rapid.IntRange(1, 3).Draw(t, "groups"); n > 0; n-- {
			grp := fleet.Group{Name: fmt.Sprintf("g%d", g), MaxConcurrency: rapid.SampledFrom([]string{"", "", "2", "3", "100%", "34%"}).Draw(t, "groupConc"),
				BeforeGates: drawGates(t), AfterGates: drawGates(t)}
			g++
			for m := rapid.IntRange(1, 4).Draw(t, "members"); m > 0; m-- {
				sc.members = append(sc.members, scenarioMember{
					name:      fmt.Sprintf("m%02d", len(sc.members)),
					group:     grp.Name,
					region:    rapid.SampledFrom([]string{"eastus", "eastus", "eastus", "southeastasia"}).Draw(t, "region"),
					atTarget:  rapid.IntRange(0, 9).Draw(t, "atTarget") == 0,
					failFirst: rapid.IntRange(0, 7).Draw(t, "fail") == 0,
				})
			}
			st.Groups = append(st.Groups, grp)
		}
		sc.strategy.Stages = append(sc.strategy.Stages, st)
	}
	for n := rapid.IntRange(0, 40).Draw(t, "actions"); n > 0; n-- {
		a := action{kind: actionKind(rapid.IntRange(0, 9).Draw(t, "kind"))}
		switch {
		case a.kind > actApprove:
			a.kind = actFinish
		case a.kind == actAdvance:
			a.delay = time.Duration(rapid.IntRange(1, 1200).Draw(t, "seconds")) * time.Second
		}
		a.pick = rapid.IntRange(0, 1000).Draw(t, "pick")
		sc.actions = append(sc.actions, a)
	}
	if crashes {
		for n := rapid.IntRange(1, 6).Draw(t, "crashes"); n > 0; n-- {
			sc.crashes = append(sc.crashes, crashPoint{
				write:       rapid.IntRange(1, 12).Draw(t, "crashWrite"),
				afterWrite:  rapid.Bool().Draw(t, "afterWrite"),
				restartWait: time.Duration(rapid.IntRange(0, 300).Draw(t, "restartWait")) * time.Second,
			})
		}
	}
	return sc
}

// drawGates draws the gates of one place: mostly none, sometimes an
// approval gate or a scheduled start.
func drawGates(t *rapid.T) []fleet.GateConfiguration {
	switch rapid.IntRange(0, 5).Draw(t, "gate") {
	case 0:
		return []fleet.GateConfiguration{{Type: fleet.GateApproval}}
	case 1:
		return []fleet.GateConfiguration{{Type: fleet.GateScheduledStart, ScheduledStartConfiguration: &fleet.ScheduledStart{
			StartDay: rapid.SampledFrom([]string{"Monday", "Tuesday"}).Draw(t, "day"), StartTime: "09:30", UTCOffset: "+00:00"}}}
	}
	return nil
}

// crashingStore dies at its n-th write: before or after the write reaches
// the store beneath. Once dead, every call fails.
type crashingStore struct {
	store.Store
	n       int
	after   bool
	mu      sync.Mutex // guards writes: runners and gate effects write
	writes  int
	dead    atomic.Bool // read by the engine's effects as well as its runner
	crashed chan struct{}
	// kill ends the engine, as the death of its process would.
	kill func()
}

var errCrashed = errors.New("process crashed")

func (c *crashingStore) Put(ctx context.Context, rec store.Record, cond store.Precondition) error {
	if c.dead.Load() {
		return errCrashed
	}
	c.mu.Lock()
	c.writes++
	crash := c.n > 0 && c.writes == c.n
	c.mu.Unlock()
	if crash {
		c.dead.Store(true)
		if c.after {
			c.Store.Put(ctx, rec, cond)
		}
		close(c.crashed)
		go c.kill()
		return errCrashed
	}
	return c.Store.Put(ctx, rec, cond)
}

func (c *crashingStore) Get(ctx context.Context, kind store.Kind, id string) (store.Record, error) {
	if c.dead.Load() {
		return store.Record{}, errCrashed
	}
	return c.Store.Get(ctx, kind, id)
}

// world runs one scenario and checks the invariants after every step.
type world struct {
	*env
	sc      scenario
	runID   string
	crashes []crashPoint
	current *crashingStore
	// completed members, and operations already checked
	completed map[string]bool
	checked   int
	failed    map[string]bool // members whose first attempt has failed
	violation string
}

func (w *world) violate(format string, args ...any) {
	if w.violation == "" {
		w.violation = fmt.Sprintf(format, args...)
	}
}

func runScenario(t *testing.T, sc scenario) string {
	e := newEnv(t)
	e.eng.Close()
	w := &world{env: e, sc: sc, crashes: sc.crashes, completed: map[string]bool{}, failed: map[string]bool{}}
	e.cloud.SetRegion("southeastasia", fakeRegion([]string{"1.30.4", "1.31.1"}, nil))
	for _, m := range sc.members {
		if m.atTarget {
			e.member(m.name, m.group, "eastus", "1.31.2", cluster.NodePool{Name: "p", KubernetesVersion: "1.31.2", NodeImageVersion: ubuntu + "-202411.12.0"})
		} else {
			e.member(m.name, m.group, m.region, "1.30.4")
		}
	}
	w.runID = e.createRun("run", sc.strategy, full("1.31.2"))
	w.restart()
	w.command(func() error { _, err := w.eng.StartRun(context.Background(), w.runID, ""); return err })
	for _, a := range sc.actions {
		if w.violation != "" {
			break
		}
		w.act(a)
	}
	// Let everything succeed from here on: the run must complete.
	w.publish()
	for i := 0; i < 2000 && w.violation == ""; i++ {
		switch st := w.runState(w.runID); st {
		case fleet.Completed:
			w.check()
			w.eng.Close()
			return w.violation
		case fleet.NotStarted, fleet.Stopped, fleet.Failed:
			// A start lost to a crash is retried, as a user would.
			w.command(func() error { _, err := w.eng.StartRun(context.Background(), w.runID, ""); return err })
		default:
			if ids := w.cloud.InFlight(); len(ids) > 0 {
				w.finishOp(ids[0])
			} else if next, ok := w.clock.Next(); ok {
				w.clock.Set(next)
				w.step()
			} else if gs := w.pendingApprovals(); len(gs) > 0 {
				w.approveGate(gs[0])
			} else {
				w.violate("run is %s with nothing in flight and nothing scheduled", st)
			}
		}
	}
	w.eng.Close()
	if w.violation == "" {
		w.violate("run did not complete; it is %s", w.runState(w.runID))
	}
	return w.violation
}

// restart starts an engine on the shared store, armed to crash at the next
// crash point if any remain.
func (w *world) restart() {
	cs := &crashingStore{Store: w.store, crashed: make(chan struct{})}
	if len(w.crashes) > 0 {
		cs.n, cs.after = w.crashes[0].write, w.crashes[0].afterWrite
	}
	w.current = cs
	w.eng = w.newEngine(cs)
	eng := w.eng
	cs.kill = eng.Close
	if err := w.eng.Start(context.Background()); err != nil {
		w.violate("engine did not start: %v", err)
	}
	w.step()
}

// step lets the engine settle, restarts it if it crashed, and checks the
// invariants.
func (w *world) step() {
	w.settle()
	for {
		select {
		case <-w.current.crashed:
			w.eng.Close()
			cp := w.crashes[0]
			w.crashes = w.crashes[1:]
			w.clock.Advance(cp.restartWait)
			w.restart()
			continue
		default:
		}
		break
	}
	w.check()
}

func (w *world) command(f func() error) {
	err := f()
	w.step()
	if err != nil && !errors.Is(err, errCrashed) {
		switch fleet.KindOf(err) {
		case fleet.KindInvalid, fleet.KindConflict:
		default:
			if !w.current.dead.Load() && !strings.Contains(err.Error(), "shutting down") {
				w.violate("command failed with %v", err)
			}
		}
	}
}

func (w *world) act(a action) {
	ctx := context.Background()
	switch a.kind {
	case actFinish:
		if ids := w.cloud.InFlight(); len(ids) > 0 {
			w.finishOp(ids[a.pick%len(ids)])
		}
	case actAdvance:
		w.clock.Advance(a.delay)
		w.step()
	case actStop:
		w.command(func() error { _, err := w.eng.StopRun(ctx, w.runID, ""); return err })
	case actStart:
		w.command(func() error { _, err := w.eng.StartRun(ctx, w.runID, ""); return err })
	case actSkip:
		var targets []fleet.SkipTarget
		for _, st := range w.sc.strategy.Stages {
			targets = append(targets, fleet.SkipTarget{Type: fleet.SkipStage, Name: st.Name}, fleet.SkipTarget{Type: fleet.SkipAfterStageWait, Name: st.Name})
			for _, g := range st.Groups {
				targets = append(targets, fleet.SkipTarget{Type: fleet.SkipGroup, Name: g.Name})
			}
		}
		for _, m := range w.sc.members {
			targets = append(targets, fleet.SkipTarget{Type: fleet.SkipMember, Name: m.name})
		}
		tg := targets[a.pick%len(targets)]
		w.command(func() error { _, err := w.eng.SkipRun(ctx, w.runID, []fleet.SkipTarget{tg}, ""); return err })
	case actPublish:
		w.publish()
	case actApprove:
		if gs := w.pendingApprovals(); len(gs) > 0 {
			w.approveGate(gs[a.pick%len(gs)])
		}
	}
}

// pendingApprovals are the gate resources waiting for an approval.
func (w *world) pendingApprovals() []fleet.Gate {
	page, err := w.store.List(context.Background(), store.ListOptions{Kind: store.Gates, States: []string{string(fleet.Pending)}})
	if err != nil {
		w.violate("cannot list gates: %v", err)
		return nil
	}
	var out []fleet.Gate
	for _, rec := range page.Records {
		g, err := store.Decode[fleet.Gate](rec)
		if err != nil {
			w.violate("cannot read gate: %v", err)
			continue
		}
		out = append(out, *g)
	}
	return out
}

// approveGate completes a gate as the API does: its resource, written to
// the store the API uses (the engine's may be dying), then the engine is
// told.
func (w *world) approveGate(g fleet.Gate) {
	ctx := context.Background()
	rec, err := w.store.Get(ctx, store.Gates, store.CanonicalID(g.ID))
	if err != nil {
		w.violate("cannot read gate %s: %v", g.Name, err)
		return
	}
	g.Properties.State = fleet.Completed
	next, err := store.NewRecord(store.Gates, g.ID, rec.Parent, rec.ETag+"+", string(fleet.Completed), g)
	if err != nil {
		w.violate("%v", err)
		return
	}
	if err := w.store.Put(ctx, next, store.Precondition{IfMatch: rec.ETag}); err != nil {
		// The engine wrote it meanwhile (a skip); approve another time.
		return
	}
	w.eng.GateCompleted(g.Properties.Target.ID, g.ID)
	w.step()
}

func (w *world) publish() {
	w.cloud.SetRegion("southeastasia", fakeRegion([]string{"1.30.4", "1.31.1", "1.31.2"}, nil))
}

// finishOp ends an operation: the first attempt of a member drawn to fail
// fails, every other succeeds.
func (w *world) finishOp(id string) {
	op, _ := w.cloud.Operation(id)
	name := op.ClusterID[strings.LastIndex(op.ClusterID, "/")+1:]
	var err error
	for _, m := range w.sc.members {
		if m.name == name && m.failFirst && !w.failed[name] {
			w.failed[name] = true
			err = cluster.Errorf(cluster.Failed, "UpgradeFailed", "drawn to fail")
		}
	}
	w.cloud.Finish(id, err)
	w.step()
}

// check asserts the invariants on the stored run and the cloud.
func (w *world) check() {
	run, _, err := store.Load[fleet.UpdateRun](context.Background(), w.store, store.Runs, w.runID)
	if err != nil {
		w.violate("cannot read run: %v", err)
		return
	}
	st := run.Properties.Status
	// Every parent is the table's function of its children, with the
	// time rules, in every document the engine writes.
	if v := treeViolations(run); len(v) > 0 {
		w.violate("%s", strings.Join(v, "; "))
	}
	where := map[string]int{} // member → stage
	running := map[string]string{}
	for si, stage := range st.Stages {
		stageRunning := 0
		total := 0
		for _, g := range stage.Groups {
			total += len(g.Members)
		}
		stageCap, _ := fleet.ParseConcurrency("", w.sc.strategy.Stages[si].MaxConcurrency)
		for gi, g := range stage.Groups {
			groupCap, _ := fleet.ParseConcurrency("", w.sc.strategy.Stages[si].Groups[gi].MaxConcurrency)
			n := 0
			for _, m := range g.Members {
				where[m.Name] = si
				if m.Status.State == fleet.Running {
					n++
					running[m.OperationID] = m.Name
				}
				if m.Status.State == fleet.Completed {
					w.completed[m.Name] = true
				}
			}
			if limit := groupCap.Limit(len(g.Members), 1); n > limit {
				w.violate("group %s has %d members upgrading, maxConcurrency %q allows %d", g.Name, n, w.sc.strategy.Stages[si].Groups[gi].MaxConcurrency, limit)
			}
			stageRunning += n
			w.checkGroup(g)
		}
		if limit := stageCap.Limit(total, 1<<30); stageRunning > limit {
			w.violate("stage %s has %d members upgrading, maxConcurrency %q allows %d", stage.Name, stageRunning, w.sc.strategy.Stages[si].MaxConcurrency, limit)
		}
		w.checkStage(stage)
	}
	// Every operation in flight is a Running member's, and vice versa.
	inFlight := map[string]bool{}
	for _, id := range w.cloud.InFlight() {
		inFlight[id] = true
		if _, ok := running[id]; !ok && w.current != nil && !w.current.dead.Load() {
			w.violate("operation %s is in flight but no member records it as Running", id)
		}
	}
	for id, m := range running {
		if !inFlight[id] {
			w.violate("member %s is Running with operation %s, which the cloud is not running", m, id)
		}
	}
	// Operations: one per member and attempt; none for a Completed member;
	// none in a stage before the stages ahead finished and waited.
	began := w.cloud.Began()
	seen := map[string]bool{}
	for _, op := range began {
		name := op.ClusterID[strings.LastIndex(op.ClusterID, "/")+1:]
		attempt := strings.SplitN(op.ID, "-", 3)[1]
		if seen[name+"/"+attempt] {
			w.violate("member %s attempt %s was begun twice", name, attempt)
		}
		seen[name+"/"+attempt] = true
	}
	gateOf := map[string]fleet.GateStatus{}
	for _, stage := range st.Stages {
		gs := append(append([]fleet.GateStatus{}, stage.BeforeGates...), stage.AfterGates...)
		for _, g := range stage.Groups {
			gs = append(append(gs, g.BeforeGates...), g.AfterGates...)
		}
		for _, g := range gs {
			if (g.Status.State == fleet.Pending || g.Status.State == fleet.Completed) && g.GateID == "" {
				w.violate("gate %+v was reached without a gate id", g)
			}
			if g.GateID != "" {
				gateOf[store.CanonicalID(g.GateID)] = g
			}
		}
	}
	if page, err := w.store.List(context.Background(), store.ListOptions{Kind: store.Gates}); err == nil {
		for _, rec := range page.Records {
			g, ok := gateOf[rec.ID]
			switch {
			case !ok:
				w.violate("gate resource %s belongs to no gate of the run", rec.ID)
			case st.Status.State == fleet.Completed && rec.State != string(g.Status.State):
				// A crash may leave a resource behind the run until the
				// run is driven again; by its end they agree.
				w.violate("gate resource %s is %s but the run shows it %s", rec.ID, rec.State, g.Status.State)
			}
		}
	}
	for _, op := range began[w.checked:] {
		name := op.ClusterID[strings.LastIndex(op.ClusterID, "/")+1:]
		si := where[name]
		for _, stage := range st.Stages[si : si+1] {
			for _, g := range stage.BeforeGates {
				if !g.Status.State.Finished() {
					w.violate("member %s began while the gate before its stage is %s", name, g.Status.State)
				}
			}
			for _, grp := range stage.Groups {
				for _, m := range grp.Members {
					if m.Name != name {
						continue
					}
					for _, g := range grp.BeforeGates {
						if !g.Status.State.Finished() {
							w.violate("member %s began while the gate before its group is %s", name, g.Status.State)
						}
					}
				}
			}
		}
		for prev := 0; prev < si; prev++ {
			ps := st.Stages[prev]
			if !ps.Status.State.Finished() {
				w.violate("member %s of stage %s began while stage %s is %s", name, st.Stages[si].Name, ps.Name, ps.Status.State)
			}
			ws := ps.AfterStageWaitStatus
			if ws.Status.State == fleet.Completed && ws.Status.StartTime != nil && ws.Status.CompletedTime != nil &&
				ws.Status.CompletedTime.Sub(*ws.Status.StartTime) < time.Duration(ws.WaitDurationInSeconds)*time.Second {
				w.violate("the wait after stage %s ended after %v of %ds", ps.Name, ws.Status.CompletedTime.Sub(*ws.Status.StartTime), ws.WaitDurationInSeconds)
			}
		}
	}
	w.checked = len(began)
	for _, op := range began {
		name := op.ClusterID[strings.LastIndex(op.ClusterID, "/")+1:]
		if w.completed[name] && running[op.ID] != "" {
			w.violate("completed member %s was begun again", name)
		}
	}
	if st.Status.State == fleet.Completed {
		for _, stage := range st.Stages {
			if !stage.Status.State.Finished() {
				w.violate("run Completed with stage %s %s", stage.Name, stage.Status.State)
			}
		}
	}
	if st.Status.State == fleet.Failed && st.Status.Error == nil {
		w.violate("run Failed without an error")
	}
}

// checkGroup asserts that a group's state agrees with its members'.
func (w *world) checkGroup(g fleet.GroupStatus) {
	all := func(f func(fleet.State) bool) bool {
		for _, m := range g.Members {
			if !f(m.Status.State) {
				return false
			}
		}
		return true
	}
	anyOf := func(s fleet.State) bool { return !all(func(x fleet.State) bool { return x != s }) }
	gatePending, gatesOpen := false, false
	for _, x := range append(append([]fleet.GateStatus{}, g.BeforeGates...), g.AfterGates...) {
		gatePending = gatePending || x.Status.State == fleet.Pending
		gatesOpen = gatesOpen || !x.Status.State.Finished()
	}
	switch g.Status.State {
	case fleet.Completed, fleet.Skipped:
		if !all(fleet.State.Finished) || gatesOpen {
			w.violate("group %s is %s with unfinished members or gates", g.Name, g.Status.State)
		}
	case fleet.Failed:
		if !anyOf(fleet.Failed) {
			w.violate("group %s is Failed with no failed member", g.Name)
		}
	case fleet.NotStarted:
		if anyOf(fleet.Running) || anyOf(fleet.Completed) || anyOf(fleet.Failed) {
			w.violate("group %s is NotStarted with members that started", g.Name)
		}
	case fleet.Pending:
		if !gatePending && !all(func(s fleet.State) bool { return s.Finished() || s == fleet.Pending }) {
			w.violate("group %s is Pending with members neither finished nor pending", g.Name)
		}
	}
	if anyOf(fleet.Failed) && g.Status.State != fleet.Failed {
		w.violate("group %s has a failed member but is %s", g.Name, g.Status.State)
	}
	if anyOf(fleet.Running) && g.Status.State != fleet.Running && g.Status.State != fleet.Failed {
		w.violate("group %s has a member upgrading but is %s", g.Name, g.Status.State)
	}
	if all(fleet.State.Finished) && !gatesOpen && !g.Status.State.Finished() {
		w.violate("group %s has every member finished but is %s", g.Name, g.Status.State)
	}
}

// checkStage asserts that a stage's state agrees with its groups and wait.
func (w *world) checkStage(s fleet.StageStatus) {
	groupsDone := true
	failed := false
	for _, g := range s.Groups {
		groupsDone = groupsDone && g.Status.State.Finished()
		failed = failed || g.Status.State == fleet.Failed
	}
	for _, x := range append(append([]fleet.GateStatus{}, s.BeforeGates...), s.AfterGates...) {
		groupsDone = groupsDone && x.Status.State.Finished() // the stage's own gates, with its groups
	}
	if s.Status.State.Finished() && (!groupsDone || !s.AfterStageWaitStatus.Status.State.Finished()) {
		w.violate("stage %s is %s before its groups, gates and wait finished", s.Name, s.Status.State)
	}
	if failed != (s.Status.State == fleet.Failed) {
		w.violate("stage %s is %s; a group failed: %v", s.Name, s.Status.State, failed)
	}
	if groupsDone && s.AfterStageWaitStatus.Status.State.Finished() && !s.Status.State.Finished() {
		w.violate("stage %s has finished groups and wait but is %s", s.Name, s.Status.State)
	}
}

func TestPropertyRunsRespectOrderConcurrencyAndEnd(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sc := drawScenario(rt, false)
		var violation string
		synctest.Test(t, func(t *testing.T) { violation = runScenario(t, sc) })
		if violation != "" {
			rt.Fatal(violation)
		}
	})
}

func TestPropertyCrashesAtRandomWritesLoseNothing(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sc := drawScenario(rt, true)
		var violation string
		synctest.Test(t, func(t *testing.T) { violation = runScenario(t, sc) })
		if violation != "" {
			rt.Fatal(violation)
		}
	})
}

var _ = fake.New
