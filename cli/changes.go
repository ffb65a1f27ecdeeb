package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// changeLog prints one line per change of a run's tree: the run, a stage,
// a group, a member or a wait changing state (or a member's message
// changing), for logs and pipes.
type changeLog struct {
	loc   *time.Location
	seen  map[string]string
	width int
}

func newChangeLog(run *fleet.UpdateRun, loc *time.Location) *changeLog {
	l := &changeLog{loc: loc, seen: map[string]string{}}
	l.width = len(run.Name)
	if st := run.Properties.Status; st != nil {
		for _, s := range st.Stages {
			l.width = max(l.width, len(s.Name))
			for _, g := range s.Groups {
				l.width = max(l.width, len(g.Name))
				for _, m := range g.Members {
					l.width = max(l.width, len(m.Name))
				}
			}
		}
	}
	return l
}

// event is one node's state seen in one poll.
type event struct {
	key, kind, name, state, detail string
	at                             *time.Time
}

func finishing(s string) bool {
	switch fleet.State(s) {
	case fleet.Completed, fleet.Skipped, fleet.Failed, fleet.Stopped:
		return true
	}
	return false
}

// update prints the changes since the last poll, oldest first. Changes
// with the same time keep the tree's order: a member ends before its
// group and its group before its stage, and a stage starts before its
// groups and a group before its members.
func (l *changeLog) update(w io.Writer, run *fleet.UpdateRun, now time.Time) {
	st := run.Properties.Status
	if st == nil {
		return
	}
	var events []event
	visit := func(ends bool, e event) {
		if finishing(e.state) != ends {
			return
		}
		sig := e.state + "\x00" + e.detail
		prev, known := l.seen[e.key]
		l.seen[e.key] = sig
		if prev == sig || (!known && e.state == string(fleet.NotStarted)) {
			return
		}
		if e.at == nil {
			e.at = &now
		}
		events = append(events, e)
	}
	runEvent := event{key: "run", kind: "run", name: run.Name, state: string(st.Status.State), detail: runDetail(st), at: stamp(st.Status)}
	stageEvent := func(s fleet.StageStatus) event {
		return event{key: "s/" + s.Name, kind: "stage", name: s.Name, state: string(s.Status.State), detail: errorMessage(s.Status), at: stamp(s.Status)}
	}
	groupEvent := func(g fleet.GroupStatus) event {
		return event{key: "g/" + g.Name, kind: "group", name: g.Name, state: string(g.Status.State), detail: errorMessage(g.Status), at: stamp(g.Status)}
	}
	memberEvent := func(m fleet.MemberStatus) event {
		return event{key: "m/" + m.Name, kind: "member", name: m.Name, state: string(m.Status.State), detail: memberDetail(m), at: stamp(m.Status)}
	}
	waitEvent := func(s fleet.StageStatus) (event, bool) {
		wt := s.AfterStageWaitStatus
		if wt == nil || wt.WaitDurationInSeconds <= 0 {
			return event{}, false
		}
		return event{key: "w/" + s.Name, kind: "wait", name: s.Name, state: string(wt.Status.State), detail: "after-stage wait of " + fmtSeconds(wt.WaitDurationInSeconds), at: stamp(wt.Status)}, true
	}
	gateEvents := func(where string, timing fleet.Timing, gs []fleet.GateStatus) []event {
		var out []event
		for _, g := range gs {
			detail := strings.ToLower(string(timing)) + " " + where
			if g.DisplayName != "" {
				detail = g.DisplayName + ", " + detail
			}
			if g.Status.State == fleet.Pending {
				if g.ScheduledTime != nil {
					detail += "; opens " + g.ScheduledTime.In(l.loc).Format("Mon 15:04")
				} else {
					detail += "; approve with caravan gate approve -n " + segmentAfter(g.GateID, "gates")
				}
			}
			out = append(out, event{key: "x/" + where + "/" + string(timing) + "/" + g.DisplayName + "/" + g.GateID, kind: "gate", name: shortGate(g.GateID), state: string(g.Status.State), detail: detail, at: stamp(g.Status)})
		}
		return out
	}
	stageGates := func(s fleet.StageStatus) []event {
		return append(gateEvents("stage "+s.Name, fleet.Before, s.BeforeGates), gateEvents("stage "+s.Name, fleet.After, s.AfterGates)...)
	}
	groupGates := func(g fleet.GroupStatus) []event {
		return append(gateEvents("group "+g.Name, fleet.Before, g.BeforeGates), gateEvents("group "+g.Name, fleet.After, g.AfterGates)...)
	}
	// Ends, children first.
	for _, s := range st.Stages {
		for _, e := range stageGates(s) {
			visit(true, e)
		}
		for _, g := range s.Groups {
			for _, e := range groupGates(g) {
				visit(true, e)
			}
			for _, m := range g.Members {
				visit(true, memberEvent(m))
			}
			visit(true, groupEvent(g))
		}
		if e, ok := waitEvent(s); ok {
			visit(true, e)
		}
		visit(true, stageEvent(s))
	}
	visit(true, runEvent)
	// Everything else, parents first.
	visit(false, runEvent)
	for _, s := range st.Stages {
		visit(false, stageEvent(s))
		for _, e := range stageGates(s) {
			visit(false, e)
		}
		for _, g := range s.Groups {
			visit(false, groupEvent(g))
			for _, e := range groupGates(g) {
				visit(false, e)
			}
			for _, m := range g.Members {
				visit(false, memberEvent(m))
			}
		}
		if e, ok := waitEvent(s); ok {
			visit(false, e)
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(*b.at) })
	for _, e := range events {
		l.print(w, e)
	}
}

func (l *changeLog) print(w io.Writer, e event) {
	line := fmt.Sprintf("%s  %-6s %-*s  %-10s", e.at.In(l.loc).Format("15:04:05"), e.kind, l.width, e.name, e.state)
	if e.detail != "" {
		line += "  " + e.detail
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}

// stamp is when a node reached its state: its end if it has one, else its
// start.
func stamp(s fleet.UpdateStatus) *time.Time {
	if s.CompletedTime != nil {
		return s.CompletedTime
	}
	return s.StartTime
}

func memberDetail(m fleet.MemberStatus) string {
	msg := m.Message
	if msg == "" {
		msg = errorMessage(m.Status)
	}
	if d, ok := span(m.Status.StartTime, m.Status.CompletedTime, time.Time{}); ok && m.Status.CompletedTime != nil {
		if msg != "" {
			return msg + " (" + fmtDuration(d) + ")"
		}
		return "took " + fmtDuration(d)
	}
	return msg
}

func runDetail(st *fleet.RunStatus) string {
	if st.Status.Error != nil {
		return st.Status.Error.Message
	}
	if d, ok := span(st.Status.StartTime, st.Status.CompletedTime, time.Time{}); ok && st.Status.CompletedTime != nil {
		out := "took " + fmtDuration(d)
		if st.FailureCount > 0 {
			out += "; " + plural(st.FailureCount, "member", "members") + " failed within the failure budget"
		}
		return out
	}
	return ""
}

// shortGate is the first part of a gate's GUID, enough to tell gates
// apart in a log; its lines give the whole name where it is needed.
func shortGate(id string) string {
	name := segmentAfter(id, "gates")
	if i := strings.IndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}
