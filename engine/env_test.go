package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/caravan-dev/caravan/clock"
	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/cluster/fake"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/feed"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const (
	ubuntu = "AKSUbuntu-2204gen2containerd"
	azl    = "AKSAzureLinux-V3gen2"
)

// env is an engine on a fake clock, a fake cloud and a memory store. All
// methods must be called inside a synctest bubble; settle waits until
// every goroutine of the engine is blocked.
type env struct {
	t     *testing.T
	clock *clock.Fake
	store store.Store
	cloud *fake.Provider
	eng   *engine.Engine
	fleet fleet.FleetRef
	ids   atomic.Int64
	// members by name, for building runs
	members []fleet.Member
	// reads counts the engine's reads of each cluster, by name.
	reads *readCounter
	// told counts, by cluster id, what the engine told Observed and
	// Changed.
	told *toldCounter
	// wrap, when set, wraps the provider of engines started after.
	wrap func(cluster.Provider) cluster.Provider
}

// toldCounter counts the engine's calls of Config.Observed and
// Config.Changed, by cluster id.
type toldCounter struct {
	mu       sync.Mutex
	observed map[string]int
	changed  map[string]int
}

func (c *toldCounter) counts(id string) (observed, changed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.observed[id], c.changed[id]
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		t:     t,
		clock: clock.NewFake(t0),
		store: memory.New(),
		cloud: fake.New(),
		fleet: fleet.FleetRef{Subscription: "sub-1", ResourceGroup: "rg-1", Fleet: "fleet-1"},
		reads: &readCounter{n: map[string]int{}},
		told:  &toldCounter{observed: map[string]int{}, changed: map[string]int{}},
	}
	putFleet(t, e.store, e.fleet)
	for _, r := range []struct {
		name   string
		images map[string]string
	}{
		{"eastus", map[string]string{ubuntu: ubuntu + "-202411.12.0", azl: azl + "-202411.12.0"}},
		{"westeurope", map[string]string{ubuntu: ubuntu + "-202410.27.0", azl: azl + "-202411.12.0"}},
		{"southeastasia", map[string]string{ubuntu: ubuntu + "-202410.15.0", azl: azl + "-202410.27.0"}},
	} {
		e.cloud.SetRegion(r.name, fake.Region{
			Versions: []string{"1.29.9", "1.29.10", "1.30.4", "1.30.5", "1.30.6", "1.31.1", "1.31.2"},
			Images:   r.images,
		})
	}
	e.startEngine()
	t.Cleanup(func() { e.eng.Close() })
	return e
}

// shareStore replaces the env's store with a memory store on its clock,
// for several engines to share, with the env's fleet in it.
func (e *env) shareStore() *memory.Store {
	e.t.Helper()
	shared := memory.NewWithClock(e.clock)
	e.store = shared
	putFleet(e.t, shared, e.fleet)
	return shared
}

func (e *env) startEngine() {
	e.t.Helper()
	e.eng = e.newEngine(e.store)
	if err := e.eng.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) newEngine(s store.Store) *engine.Engine {
	e.t.Helper()
	var p cluster.Provider = countReads{Provider: e.cloud, c: e.reads}
	if e.wrap != nil {
		p = e.wrap(p)
	}
	eng, err := engine.New(engine.Config{
		Store:    s,
		Provider: p,
		Observed: func(c *cluster.Cluster) {
			e.told.mu.Lock()
			e.told.observed[c.ID]++
			e.told.mu.Unlock()
		},
		Changed: func(id string) {
			e.told.mu.Lock()
			e.told.changed[id]++
			e.told.mu.Unlock()
		},
		// A feed, so that every write's published transitions are
		// checked against the run (see checkEncoding).
		Feed:            feed.New(),
		Clock:           e.clock,
		RecheckInterval: time.Minute,
		NewID:           func() string { return fmt.Sprintf("id%04d", e.ids.Add(1)) },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// putFleet stores a fleet for members and runs to live in.
func putFleet(t testing.TB, s store.Store, ref fleet.FleetRef) {
	t.Helper()
	rec, err := store.NewRecord(store.Fleets, ref.ID(), "/subscriptions/"+ref.Subscription+"/resourceGroups/"+ref.ResourceGroup, "f1", "", fleet.Fleet{ID: ref.ID(), Name: ref.Fleet, Type: fleet.TypeFleet})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), rec, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

func clusterID(name string) string {
	return "/subscriptions/sub-1/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
}

// member adds a cluster to the cloud and a member for it to the fleet.
// Its pools default to one Ubuntu pool at the cluster's version with an
// old image.
func (e *env) member(name, group, region, version string, pools ...cluster.NodePool) {
	e.t.Helper()
	if len(pools) == 0 {
		pools = []cluster.NodePool{{Name: "system", KubernetesVersion: version, NodeImageVersion: ubuntu + "-202409.01.0", Count: 3}}
	}
	e.cloud.AddCluster(cluster.Cluster{ID: clusterID(name), Name: name, Region: region, KubernetesVersion: version, ProvisioningState: "Succeeded", NodePools: pools})
	m := fleet.Member{
		ID:         e.fleet.Child("members", name),
		Name:       name,
		Type:       fleet.TypeMember,
		Properties: fleet.MemberProperties{ClusterResourceID: clusterID(name), Group: group},
	}
	rec, err := store.NewRecord(store.Members, m.ID, e.fleet.ID(), "m1", "", m)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.Put(context.Background(), rec, store.Precondition{}); err != nil {
		e.t.Fatal(err)
	}
	e.members = append(e.members, m)
}

func (e *env) removeMember(name string) {
	e.t.Helper()
	if err := e.store.Delete(context.Background(), store.Members, store.CanonicalID(e.fleet.Child("members", name)), store.Precondition{}); err != nil {
		e.t.Fatal(err)
	}
}

// stages builds a strategy from "stage:group,group;stage:group" with
// optional "/wait" seconds after a stage name.
func stages(spec string) *fleet.RunStrategy {
	s := &fleet.RunStrategy{}
	for _, part := range strings.Split(spec, ";") {
		name, groups, _ := strings.Cut(part, ":")
		st := fleet.Stage{Name: name}
		if n, w, ok := strings.Cut(name, "/"); ok {
			st.Name = n
			fmt.Sscanf(w, "%d", &st.AfterStageWaitInSeconds)
		}
		for _, g := range strings.Split(groups, ",") {
			st.Groups = append(st.Groups, fleet.Group{Name: g})
		}
		s.Stages = append(s.Stages, st)
	}
	return s
}

func full(v string) fleet.ManagedClusterUpdate {
	return fleet.ManagedClusterUpdate{Upgrade: fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: v}}
}

// createRun stores a NotStarted run, as the API does.
func (e *env) createRun(name string, strategy *fleet.RunStrategy, update fleet.ManagedClusterUpdate) string {
	e.t.Helper()
	if strategy != nil {
		if err := fleet.ValidateStrategy("properties.strategy", strategy); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := fleet.ValidateUpdate("properties.managedClusterUpdate", update); err != nil {
		e.t.Fatal(err)
	}
	status, err := fleet.NewRunStatus(strategy, e.members)
	if err != nil {
		e.t.Fatal(err)
	}
	run := fleet.UpdateRun{
		ID:   e.fleet.Child("updateRuns", name),
		Name: name,
		Type: fleet.TypeUpdateRun,
		Properties: fleet.UpdateRunProperties{
			ProvisioningState:    fleet.ProvisioningSucceeded,
			Strategy:             strategy,
			ManagedClusterUpdate: update,
			Status:               status,
		},
	}
	run.ETag = "r1"
	rec, err := store.NewRecord(store.Runs, run.ID, e.fleet.ID(), "r1", string(fleet.NotStarted), run)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.Put(context.Background(), rec, store.Precondition{IfNoneMatch: "*"}); err != nil {
		e.t.Fatal(err)
	}
	return run.ID
}

func (e *env) settle() { synctest.Wait() }

func (e *env) start(id string) {
	e.t.Helper()
	if _, err := e.eng.StartRun(context.Background(), id, ""); err != nil {
		e.t.Fatalf("start: %v", err)
	}
	e.settle()
}

func (e *env) stop(id string) {
	e.t.Helper()
	if _, err := e.eng.StopRun(context.Background(), id, ""); err != nil {
		e.t.Fatalf("stop: %v", err)
	}
	e.settle()
}

func (e *env) skip(id string, targets ...fleet.SkipTarget) error {
	_, err := e.eng.SkipRun(context.Background(), id, targets, "")
	e.settle()
	return err
}

func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	e.settle()
}

func (e *env) run(id string) *fleet.UpdateRun {
	e.t.Helper()
	run, _, err := store.Load[fleet.UpdateRun](context.Background(), e.store, store.Runs, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

func (e *env) memberStatus(id, member string) fleet.MemberStatus {
	e.t.Helper()
	for _, st := range e.run(id).Properties.Status.Stages {
		for _, g := range st.Groups {
			for _, m := range g.Members {
				if m.Name == member {
					return m
				}
			}
		}
	}
	e.t.Fatalf("no member %s in run", member)
	return fleet.MemberStatus{}
}

func (e *env) state(id, member string) fleet.State { return e.memberStatus(id, member).Status.State }

func (e *env) runState(id string) fleet.State { return e.run(id).Properties.Status.Status.State }

// upgrading returns the names of the clusters with an operation in flight,
// sorted.
func (e *env) upgrading() []string {
	var out []string
	for _, id := range e.cloud.InFlight() {
		op, _ := e.cloud.Operation(id)
		out = append(out, op.ClusterID[strings.LastIndex(op.ClusterID, "/")+1:])
	}
	slices.Sort(out)
	return out
}

// finish ends the in-flight operation on a cluster.
func (e *env) finish(name string, err error) {
	e.t.Helper()
	for _, id := range e.cloud.InFlight() {
		op, _ := e.cloud.Operation(id)
		if strings.HasSuffix(op.ClusterID, "/"+name) {
			e.cloud.Finish(id, err)
			e.settle()
			return
		}
	}
	e.t.Fatalf("no operation in flight on %s; in flight: %v", name, e.upgrading())
}

func (e *env) wantUpgrading(names ...string) {
	e.t.Helper()
	slices.Sort(names)
	if got := e.upgrading(); !slices.Equal(got, names) {
		e.t.Fatalf("upgrading %v, want %v", got, names)
	}
}

func (e *env) wantState(id, member string, want fleet.State) {
	e.t.Helper()
	if got := e.state(id, member); got != want {
		e.t.Fatalf("member %s is %s, want %s (message %q)", member, got, want, e.memberStatus(id, member).Message)
	}
}

func (e *env) wantRun(id string, want fleet.State) {
	e.t.Helper()
	if got := e.runState(id); got != want {
		e.t.Fatalf("run is %s, want %s", got, want)
	}
}

func test(t *testing.T, f func(e *env)) {
	synctest.Test(t, func(t *testing.T) { f(newEnv(t)) })
}

// readCounter counts reads of clusters, by cluster name.
type readCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *readCounter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// countReads is a provider that counts the Describes it passes on.
type countReads struct {
	cluster.Provider
	c *readCounter
}

func (p countReads) Describe(ctx context.Context, id string) (*cluster.Cluster, error) {
	p.c.mu.Lock()
	p.c.n[id[strings.LastIndex(id, "/")+1:]]++
	p.c.mu.Unlock()
	return p.Provider.Describe(ctx, id)
}
