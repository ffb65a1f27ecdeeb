package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	aks "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"
	"github.com/jackc/pgx/v5"

	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

// cloudCalls is a proxy in front of the simulated cloud for one replica:
// it records when each request that changes something (anything but a
// GET) arrives and the id of the operation the cloud answered it with, so
// that the cloud's operation record can be attributed to replicas. Its
// GETs can be slowed, as a cloud that throttles one caller's reads.
type cloudCalls struct {
	mu      sync.Mutex
	writes  []time.Time
	ops     map[string]bool
	slowGet atomic.Int64 // nanoseconds each GET waits
}

func (c *cloudCalls) since(t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.writes {
		if at.After(t) {
			n++
		}
	}
	return n
}

// began reports whether the cloud answered this replica with operation id.
func (c *cloudCalls) began(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[id]
}

func proxyTo(t *testing.T, target string) (*httptest.Server, *cloudCalls) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &cloudCalls{ops: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet {
			return nil
		}
		if op, err := url.Parse(resp.Header.Get("Azure-AsyncOperation")); err == nil && op.Path != "" {
			rec.mu.Lock()
			rec.ops[path.Base(op.Path)] = true
			rec.mu.Unlock()
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if d := time.Duration(rec.slowGet.Load()); d > 0 {
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
		} else {
			rec.mu.Lock()
			rec.writes = append(rec.writes, time.Now())
			rec.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// withApplicationName names a replica's database connections, so that
// the database can tell which replica wrote what.
func withApplicationName(t *testing.T, dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// recordWrites makes the database log every committed write of a record
// or a part with the name of the connection's application and the time.
func recordWrites(t *testing.T, conn *pgx.Conn) {
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE e2e_writes (app text NOT NULL, tbl text NOT NULL, id text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
		`CREATE FUNCTION e2e_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				INSERT INTO e2e_writes (app, tbl, id) VALUES (current_setting('application_name'), TG_TABLE_NAME, NEW.id);
				RETURN NEW;
			END $$`,
		`CREATE TRIGGER e2e_log_records AFTER INSERT OR UPDATE ON caravan_records FOR EACH ROW EXECUTE FUNCTION e2e_log_write()`,
		`CREATE TRIGGER e2e_log_parts AFTER INSERT OR UPDATE ON caravan_record_parts FOR EACH ROW EXECUTE FUNCTION e2e_log_write()`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
}

// runWrites selects the logged writes of update runs and their parts.
const runWrites = `FROM e2e_writes WHERE app = $1 AND at > $2 AND id LIKE '%/updateruns/%'`

// writesBy counts the writes of update runs (records and parts) the
// database logged from app's connections after since.
func writesBy(t *testing.T, conn *pgx.Conn, app string, since time.Time) int {
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) `+runWrites, app, since).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writesAfter lists what writesBy counts, a line each.
func writesAfter(t *testing.T, conn *pgx.Conn, app string, since time.Time) string {
	rows, err := conn.Query(context.Background(), `SELECT tbl, id, at `+runWrites+` ORDER BY at`, app, since)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var tbl, id string
		var at time.Time
		if err := rows.Scan(&tbl, &id, &at); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s %s at %s\n", at.Format("15:04:05.000"), tbl, id, app, at.Sub(since).Round(time.Millisecond))
	}
	return b.String()
}

// TestPausedOwnerNeverActsAfterLosingItsLease stops the replica driving a
// run (SIGSTOP) while a member's upgrade is in flight, for longer than
// its lease. The upgrade ends meanwhile. Another replica takes the run
// over; its reads of the cloud are slow, so that it has not yet written
// the run when the paused owner is resumed (SIGCONT): the resumed owner
// then has work it would do at once (record the member's end, begin the
// next member) on a run no one has written since its pause. It must do
// none of it. Judged from the world: the simulated cloud's operation
// record shows no operation begun by the resumed replica (attributed
// through the operation ids its proxy saw) and the database's own log of
// committed writes (a trigger, by connection application name) shows no
// write of it; the run completes with no upgrade begun twice.
func TestPausedOwnerNeverActsAfterLosingItsLease(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for tens of seconds")
	}
	dsn := pgtest.Start(t)
	ctx := context.Background()
	simAddr := freeAddr(t)
	start(t, simAddr, []string{"CARAVAN_TOKEN=sim-secret"}, "simulate", "--addr", simAddr)
	const ttl = 3 * time.Second
	type member struct {
		name  string
		addr  string
		proc  *process
		calls *cloudCalls
	}
	var replicas []*member
	for i := range 3 {
		proxy, calls := proxyTo(t, "http://"+simAddr)
		r := &member{name: fmt.Sprintf("replica-%d", i), addr: freeAddr(t), calls: calls}
		r.proc = start(t, r.addr, []string{"CARAVAN_TOKEN=secret", "CARAVAN_ARM_TOKEN=sim-secret"},
			"serve", "--addr", r.addr, "--data", t.TempDir(), "--db", withApplicationName(t, dsn, r.name), "--arm-endpoint", proxy.URL,
			"--recheck-interval", "1s", "--lease-ttl", ttl.String(), "--lease-interval", "1s")
		replicas = append(replicas, r)
	}
	db, err := pgx.Connect(ctx, withApplicationName(t, dsn, "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	recordWrites(t, db)

	mc, err := aks.NewManagedClustersClient(sub, bearer("sim-secret"), armOptions(simAddr))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(replicas[0].addr))
	if err != nil {
		t.Fatal(err)
	}
	p, err := fc.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "paused", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	wait(t, p, err)
	// One member per stage: the owner always has a next member to begin.
	const members = 4
	var stages []*fleetsdk.UpdateStage
	for i := range members {
		name := fmt.Sprintf("p%d", i)
		seconds := "1"
		if i == 0 {
			seconds = "2" // ends while its owner is paused
		}
		p1, err := mc.BeginCreateOrUpdate(ctx, "rg-clusters", name, aks.ManagedCluster{
			Location:   to.Ptr("eastus"),
			Tags:       map[string]*string{"sim-upgrade-seconds": to.Ptr(seconds)},
			Properties: &aks.ManagedClusterProperties{KubernetesVersion: to.Ptr("1.30.9"), AgentPoolProfiles: []*aks.ManagedClusterAgentPoolProfile{{Name: to.Ptr("system"), Count: to.Ptr[int32](1), Mode: to.Ptr(aks.AgentPoolModeSystem)}}},
		}, nil)
		wait(t, p1, err)
		id := "/subscriptions/" + sub + "/resourceGroups/rg-clusters/providers/Microsoft.ContainerService/managedClusters/" + name
		group := fmt.Sprintf("g%d", i)
		p2, err := fc.NewFleetMembersClient().BeginCreate(ctx, "rg", "paused", name, fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: to.Ptr(id), Group: to.Ptr(group)}}, nil)
		wait(t, p2, err)
		stages = append(stages, &fleetsdk.UpdateStage{Name: to.Ptr(fmt.Sprintf("s%d", i)), Groups: []*fleetsdk.UpdateGroup{{Name: to.Ptr(group)}}})
	}
	p3, err := fc.NewUpdateRunsClient().BeginCreateOrUpdate(ctx, "rg", "paused", "run", fleetsdk.UpdateRun{Properties: &fleetsdk.UpdateRunProperties{
		Strategy:             &fleetsdk.UpdateRunStrategy{Stages: stages},
		ManagedClusterUpdate: &fleetsdk.ManagedClusterUpdate{Upgrade: &fleetsdk.ManagedClusterUpgradeSpec{Type: to.Ptr(fleetsdk.ManagedClusterUpgradeTypeControlPlaneOnly), KubernetesVersion: to.Ptr("1.31.8")}},
	}}, nil)
	wait(t, p3, err)
	// Started through the third replica, which then drives it.
	owner := replicas[2]
	fcOwner, err := fleetsdk.NewClientFactory(sub, bearer("secret"), armOptions(owner.addr))
	if err != nil {
		t.Fatal(err)
	}
	p4, err := fcOwner.NewUpdateRunsClient().BeginStart(ctx, "rg", "paused", "run", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, owner.proc.out)
	}
	wait(t, p4, err)
	if driving(t, owner.addr) != 1 {
		t.Fatal("the replica the run was started through does not drive it")
	}
	// Pause the owner as soon as the first upgrade is begun.
	deadline := time.Now().Add(20 * time.Second)
	for len(upgradesBegun(t, simAddr)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the owner began no upgrade within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := owner.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	t.Cleanup(func() { owner.proc.cmd.Process.Signal(syscall.SIGCONT) })
	if writesBy(t, db, owner.name, time.Time{}) == 0 {
		t.Fatal("the database logged no write of the run by the owner before its pause; the log cannot tell who writes")
	}
	// The others' reads of the cloud are slow from now on, so that the
	// one taking over has not written the run when the owner resumes.
	for _, r := range replicas[:2] {
		r.calls.slowGet.Store(int64(4 * time.Second))
	}
	deadline = time.Now().Add(20 * time.Second)
	for driving(t, replicas[0].addr)+driving(t, replicas[1].addr) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no other replica took the run over within 20s of its owner's pause")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("taken over %s after the owner was paused", time.Since(paused).Round(time.Millisecond))
	resumed := time.Now()
	if err := owner.proc.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	for _, r := range replicas[:2] {
		r.calls.slowGet.Store(0)
	}
	for runState(t, fc, "paused", "run") != fleetsdk.UpdateStateCompleted {
		if time.Now().After(resumed.Add(60 * time.Second)) {
			t.Fatalf("run is %s a minute after the owner resumed", runState(t, fc, "paused", "run"))
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The cloud's record: nothing begun by the resumed owner.
	ops := upgradesBegun(t, simAddr)
	byOthers := 0
	for _, op := range ops {
		switch {
		case owner.calls.began(op.OperationID) && op.Start.After(paused):
			t.Errorf("the resumed replica began %s of %s to %s at %s, %s after it resumed without its lease",
				op.Kind, path.Base(op.Cluster), op.Target, op.Start.Format(time.TimeOnly), op.Start.Sub(resumed).Round(time.Millisecond))
		case replicas[0].calls.began(op.OperationID) || replicas[1].calls.began(op.OperationID):
			byOthers++
		}
	}
	if byOthers == 0 {
		t.Error("the cloud's record attributes no upgrade to the replica that took over; it cannot tell who began what")
	}
	if n := owner.calls.since(resumed); n != 0 {
		t.Errorf("the resumed replica sent the cloud %d requests that change something after it lost the lease", n)
	}
	// The database's record: no write of the run by the resumed owner.
	// (What a replica's API last observed of a cluster is not the run's,
	// and any replica may write it.)
	if n := writesBy(t, db, owner.name, resumed); n != 0 {
		t.Errorf("the database logged %d writes by the resumed replica after it lost the lease:\n%s", n, writesAfter(t, db, owner.name, resumed))
	}
	if n := driving(t, owner.addr); n != 0 {
		t.Errorf("the resumed replica drives %d runs, want 0", n)
	}
	count := map[string]int{}
	for _, op := range ops {
		count[op.Cluster+" "+op.AgentPool+" "+op.Kind+" "+op.Target]++
	}
	for key, n := range count {
		if n > 1 {
			t.Errorf("%s was begun %d times", key, n)
		}
	}
	if len(count) != members {
		t.Errorf("%d upgrades begun, want %d", len(count), members)
	}
}

// upgradesBegun returns the upgrades in the simulated cloud's record.
func upgradesBegun(t *testing.T, simAddr string) []simOpRecord {
	t.Helper()
	var ups []simOpRecord
	for _, op := range simOperationRecords(t, simAddr) {
		if strings.HasPrefix(op.Kind, "Upgrade") {
			ups = append(ups, op)
		}
	}
	return ups
}
