package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caravan-dev/caravan/fleet"
)

// renderOptions say how a run is drawn.
type renderOptions struct {
	// now is the time elapsed times are measured to.
	now time.Time
	// loc is the time zone of the times shown.
	loc *time.Location
	// live draws progress bars, for a terminal that redraws the tree.
	live bool
	// width cuts lines to that many columns (0: no limit).
	width int
	// compact shows members only for groups in progress.
	compact bool
}

// runCounts tallies a run's members.
type runCounts struct {
	total, completed, skipped, failed, running, pending int
}

func (c runCounts) done() int { return c.completed + c.skipped }

func countMembers(st *fleet.RunStatus) runCounts {
	var c runCounts
	if st == nil {
		return c
	}
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				c.total++
				switch m.Status.State {
				case fleet.Completed:
					c.completed++
				case fleet.Skipped:
					c.skipped++
				case fleet.Failed:
					c.failed++
				case fleet.Running:
					c.running++
				case fleet.Pending:
					c.pending++
				}
			}
		}
	}
	return c
}

func groupCounts(g fleet.GroupStatus) (done, total int) {
	for _, m := range g.Members {
		if m.Status.State.Finished() {
			done++
		}
	}
	return done, len(g.Members)
}

// describeUpdate says what a run does: "Full to Kubernetes 1.32, node
// images Consistent".
func describeUpdate(u fleet.ManagedClusterUpdate) string {
	var b strings.Builder
	b.WriteString(string(u.Upgrade.Type))
	if u.Upgrade.KubernetesVersion != "" {
		b.WriteString(" to Kubernetes " + u.Upgrade.KubernetesVersion)
	}
	if u.Upgrade.Type != fleet.UpgradeControlPlaneOnly {
		b.WriteString(", node images " + string(u.SelectionType()))
		if sel := u.NodeImageSelection; sel != nil && len(sel.CustomNodeImageVersions) > 0 {
			var vs []string
			for _, v := range sel.CustomNodeImageVersions {
				vs = append(vs, v.Version)
			}
			b.WriteString(" (" + strings.Join(vs, ", ") + ")")
		}
	}
	return b.String()
}

// strategyName says where a run's stages came from.
func strategyName(p fleet.UpdateRunProperties) string {
	switch {
	case p.UpdateStrategyID != "":
		return segmentAfter(p.UpdateStrategyID, "updateStrategies")
	case p.Strategy != nil:
		return "its own stages"
	}
	return "none: every member in one group, one at a time"
}

// renderRun writes a run: its state, times, selected node images and
// error, then its tree of stages, groups and members.
func renderRun(w io.Writer, run *fleet.UpdateRun, o renderOptions) error {
	var buf bytes.Buffer
	st := run.Properties.Status
	state := fleet.NotStarted
	var status fleet.UpdateStatus
	if st != nil {
		status = st.Status
		state = status.State
	}
	shown := string(state)
	if st != nil && st.FailureCount > 0 {
		shown += " with " + plural(st.FailureCount, "failed member", "failed members")
		if state == fleet.Completed {
			shown += " (within the failure budget)"
		}
	}
	fmt.Fprintf(&buf, "Update run %s in fleet %s: %s\n", run.Name, segmentAfter(run.ID, "fleets"), shown)
	head := &table{}
	head.row("  Upgrade:", describeUpdate(run.Properties.ManagedClusterUpdate))
	head.row("  Strategy:", strategyName(run.Properties))
	if status.StartTime != nil {
		d, _ := span(status.StartTime, status.CompletedTime, o.now)
		if status.CompletedTime != nil {
			head.row("  Started:", fmt.Sprintf("%s, ended %s (took %s)", fmtClock(status.StartTime, o.loc), fmtClock(status.CompletedTime, o.loc), fmtDuration(d)))
		} else {
			head.row("  Started:", fmt.Sprintf("%s (%s ago)", fmtClock(status.StartTime, o.loc), fmtDuration(d)))
		}
	}
	if st != nil && st.NodeImageSelection != nil && len(st.NodeImageSelection.SelectedNodeImageVersions) > 0 {
		for i, v := range st.NodeImageSelection.SelectedNodeImageVersions {
			label := ""
			if i == 0 {
				label = "  Node images:"
			}
			head.row(label, v.Version)
		}
	}
	if st != nil && st.NodeImageSelection != nil && st.NodeImageSelection.Message != "" {
		head.row("  Images now:", st.NodeImageSelection.Message)
	}
	c := countMembers(st)
	progress := fmt.Sprintf("%d of %d members done", c.done(), c.total)
	var extra []string
	for _, p := range []struct {
		n    int
		what string
	}{{c.completed, "upgraded"}, {c.skipped, "skipped"}, {c.running, "upgrading"}, {c.pending, "pending"}, {c.failed, "failed"}} {
		if p.n > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(extra) > 0 {
		progress += " (" + strings.Join(extra, ", ") + ")"
	}
	if o.live {
		progress = bar(c.done(), c.total, 24) + " " + progress
	}
	head.row("  Progress:", progress)
	if status.Error != nil {
		head.row("  Error:", status.Error.Message)
	}
	if st != nil && st.Message != "" {
		head.row("  Message:", st.Message)
	}
	head.write(&buf)
	if st != nil && len(st.Stages) > 0 {
		buf.WriteString("\n")
		treeTable(st, o).write(&buf)
	}
	_, err := io.WriteString(w, cut(buf.String(), o.width))
	return err
}

// treeTable lays out the stage → group → member tree.
func treeTable(st *fleet.RunStatus, o renderOptions) *table {
	t := newTable("STAGE / GROUP / MEMBER", "STATE", "PROGRESS", "START", "DURATION", "MESSAGE")
	for _, s := range st.Stages {
		done, total := 0, 0
		for _, g := range s.Groups {
			d, n := groupCounts(g)
			done, total = done+d, total+n
		}
		t.row(s.Name, string(s.Status.State), progressCell(done, total, o.live), fmtClock(s.Status.StartTime, o.loc), durationCell(s.Status, o.now), errorMessage(s.Status))
		wait := s.AfterStageWaitStatus
		showWait := wait != nil && (wait.WaitDurationInSeconds > 0 || wait.Status.State == fleet.Skipped)
		for gi, gate := range s.BeforeGates {
			last := gi == len(s.BeforeGates)-1 && len(s.Groups) == 0 && len(s.AfterGates) == 0 && !showWait
			gateRow(t, "", last, gate, fleet.Before, o)
		}
		for gi, g := range s.Groups {
			last := gi == len(s.Groups)-1 && !showWait && len(s.AfterGates) == 0
			branch, stem := "├─ ", "│  "
			if last {
				branch, stem = "└─ ", "   "
			}
			d, n := groupCounts(g)
			t.row(branch+g.Name, string(g.Status.State), progressCell(d, n, o.live), fmtClock(g.Status.StartTime, o.loc), durationCell(g.Status, o.now), errorMessage(g.Status))
			if o.compact && g.Status.State != fleet.Running && g.Status.State != fleet.Pending && g.Status.State != fleet.Failed {
				continue
			}
			for xi, gate := range g.BeforeGates {
				gateRow(t, stem, xi == len(g.BeforeGates)-1 && len(g.Members) == 0 && len(g.AfterGates) == 0, gate, fleet.Before, o)
			}
			for mi, m := range g.Members {
				mb := "├─ "
				if mi == len(g.Members)-1 && len(g.AfterGates) == 0 {
					mb = "└─ "
				}
				msg := m.Message
				if msg == "" {
					msg = errorMessage(m.Status)
				}
				t.row(stem+mb+m.Name, string(m.Status.State), "", fmtClock(m.Status.StartTime, o.loc), durationCell(m.Status, o.now), msg)
			}
			for xi, gate := range g.AfterGates {
				gateRow(t, stem, xi == len(g.AfterGates)-1, gate, fleet.After, o)
			}
		}
		for gi, gate := range s.AfterGates {
			gateRow(t, "", gi == len(s.AfterGates)-1 && !showWait, gate, fleet.After, o)
		}
		if showWait {
			t.row("└─ after-stage wait "+fmtSeconds(wait.WaitDurationInSeconds), string(wait.Status.State), "", fmtClock(wait.Status.StartTime, o.loc), durationCell(wait.Status, o.now), waitMessage(wait, o.now))
		}
	}
	return t
}

// gateRow draws a gate of a stage or group: its name, its state, and
// what completes it.
func gateRow(t *table, stem string, last bool, g fleet.GateStatus, timing fleet.Timing, o renderOptions) {
	branch := "├─ "
	if last {
		branch = "└─ "
	}
	name := "gate"
	if g.DisplayName != "" {
		name += " " + g.DisplayName
	}
	name += " (" + strings.ToLower(string(timing)) + ")"
	msg := ""
	switch {
	case g.Status.State == fleet.Pending && g.ScheduledTime != nil:
		msg = "opens " + g.ScheduledTime.In(o.loc).Format("Mon 2006-01-02 15:04 MST") + " (in " + fmtDuration(g.ScheduledTime.Sub(o.now)) + ")"
	case g.Status.State == fleet.Pending:
		msg = "waiting for approval: caravan gate approve -n " + segmentAfter(g.GateID, "gates")
	}
	t.row(stem+branch+name, string(g.Status.State), "", fmtClock(g.Status.StartTime, o.loc), durationCell(g.Status, o.now), msg)
}

func progressCell(done, total int, live bool) string {
	if total == 0 {
		return ""
	}
	if live {
		return bar(done, total, 10) + fmt.Sprintf(" %d/%d", done, total)
	}
	return fmt.Sprintf("%d/%d", done, total)
}

// durationCell is how long a node ran, or has run so far while it runs.
func durationCell(s fleet.UpdateStatus, now time.Time) string {
	end := s.CompletedTime
	if end == nil && s.State != fleet.Running && s.State != fleet.Stopping {
		// A node that is not running and has no end (Pending, Stopped)
		// shows no growing time.
		return ""
	}
	d, ok := span(s.StartTime, end, now)
	if !ok {
		return ""
	}
	return fmtDuration(d)
}

func errorMessage(s fleet.UpdateStatus) string {
	if s.Error != nil {
		return s.Error.Message
	}
	return ""
}

func waitMessage(w *fleet.WaitStatus, now time.Time) string {
	switch {
	case w.Status.State == fleet.Running && w.Deadline != nil:
		return "ends in " + fmtDuration(w.Deadline.Sub(now))
	case w.Status.State == fleet.Stopped && w.RemainingMilliseconds > 0:
		return fmtDuration(time.Duration(w.RemainingMilliseconds)*time.Millisecond) + " left"
	}
	return ""
}

// bar draws a progress bar of width cells.
func bar(done, total, width int) string {
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	return strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
}

// cut shortens each line of s to width columns (runes); 0 means no limit.
func cut(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		if utf8.RuneCountInString(body) > width {
			r := []rune(body)
			lines[i] = string(r[:width-1]) + "…" + l[len(body):]
		}
	}
	return strings.Join(lines, "")
}
