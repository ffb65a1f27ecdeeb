package engine_test

import (
	"strings"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// TestUnreachableCloudShowsUntilItAnswers: a provider's report that it
// cannot reach the cloud shows on the member whose upgrade it follows and
// in the run's message; its report that the cloud answers again restores
// both, and a member that fails to be read before its turn is counted too.
func TestUnreachableCloudShowsUntilItAnswers(t *testing.T) {
	test(t, func(e *env) {
		begun := e.cloud.NotifyBegin(4)
		e.member("a", "", "eastus", "1.30.4")
		id := e.createRun("r", nil, full("1.31.2"))
		e.start(id)
		op := <-begun
		before := e.memberStatus(id, "a").Message

		down := cluster.Errorf(cluster.Transient, "CloudUnreachable", "cannot reach the cloud at https://arm.example: connection refused")
		op.Report(down)
		e.settle()
		m := e.memberStatus(id, "a")
		if m.Status.State != fleet.Running || m.Message != "cannot reach the cloud at https://arm.example: connection refused; retrying" {
			t.Fatalf("member is %s with message %q", m.Status.State, m.Message)
		}
		if got := e.run(id).Properties.Status.Message; got != "1 member held up (a): cannot reach the cloud at https://arm.example: connection refused; retrying" {
			t.Fatalf("run message %q", got)
		}

		op.Report(nil)
		e.settle()
		if m := e.memberStatus(id, "a"); m.Message != before {
			t.Fatalf("member message %q after the cloud answered again, want %q back", m.Message, before)
		}
		if got := e.run(id).Properties.Status.Message; got != "" {
			t.Fatalf("run message %q after the cloud answered again, want none", got)
		}

		// A report for an operation that ended changes nothing.
		e.finish("a", nil)
		op.Report(down)
		e.settle()
		if m := e.memberStatus(id, "a"); m.Status.State != fleet.Completed || strings.Contains(m.Message, "cannot reach") {
			t.Fatalf("member %s %q after a late report", m.Status.State, m.Message)
		}
		if got := e.run(id).Properties.Status.Message; got != "" {
			t.Fatalf("run message %q after a late report, want none", got)
		}
	})
}
