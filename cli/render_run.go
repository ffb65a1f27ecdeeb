package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runview"
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

// narrowWidth is the width below which the live tree leaves out the
// START column and draws shorter bars, so that an 80-column terminal
// keeps room for messages.
const narrowWidth = 100

func (o renderOptions) narrow() bool { return o.width > 0 && o.width < narrowWidth }

// errorMessage is a node's error message, or "".
func errorMessage(s fleet.UpdateStatus) string {
	if s.Error != nil {
		return s.Error.Message
	}
	return ""
}

// renderRun writes a run: its state, times, selected node images and
// error, then its tree of stages, groups and members.
func renderRun(w io.Writer, run *fleet.UpdateRun, o renderOptions) error {
	var buf bytes.Buffer
	v := runview.Of(run, o.now)
	shown := string(v.State)
	if v.FailureCount > 0 {
		shown += " with " + plural(v.FailureCount, "failed member", "failed members")
		if v.State == fleet.Completed {
			shown += " (within the failure budget)"
		}
	}
	fmt.Fprintf(&buf, "Update run %s in fleet %s: %s\n", v.Name, v.Fleet, shown)
	head := &table{}
	head.row("  Upgrade:", v.Upgrade)
	head.row("  Strategy:", v.Strategy)
	if v.Start != nil {
		if v.End != nil {
			head.row("  Started:", fmt.Sprintf("%s, ended %s (took %s)", fmtClock(v.Start, o.loc), fmtClock(v.End, o.loc), fmtDuration(v.End.Sub(*v.Start))))
		} else {
			head.row("  Started:", fmt.Sprintf("%s (%s ago)", fmtClock(v.Start, o.loc), fmtDuration(o.now.Sub(*v.Start))))
		}
	}
	for i, img := range v.NodeImages {
		label := ""
		if i == 0 {
			label = "  Node images:"
		}
		head.row(label, img)
	}
	st := run.Properties.Status
	if st != nil && st.NodeImageSelection != nil && st.NodeImageSelection.Message != "" {
		head.row("  Images now:", st.NodeImageSelection.Message)
	}
	c := v.Counts
	progress := fmt.Sprintf("%d of %d members done", c.Done(), c.Total)
	var extra []string
	for _, p := range []struct {
		n    int
		what string
	}{{c.Completed, "upgraded"}, {c.Skipped, "skipped"}, {c.Running, "upgrading"}, {c.Pending, "pending"}, {c.Failed, "failed"}} {
		if p.n > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(extra) > 0 {
		progress += " (" + strings.Join(extra, ", ") + ")"
	}
	if o.live {
		n := 24
		if o.narrow() {
			n = 12
		}
		progress = bar(c.Done(), c.Total, n) + " " + progress
	}
	head.row("  Progress:", progress)
	if v.Error != "" {
		head.row("  Error:", v.Error)
	}
	if st != nil && st.Message != "" {
		head.row("  Message:", st.Message)
	}
	head.write(&buf)
	if len(v.Stages) > 0 {
		buf.WriteString("\n")
		treeTable(v, o).write(&buf)
	}
	_, err := io.WriteString(w, cut(buf.String(), o.width))
	return err
}

// treeTable lays out the stage → group → member tree.
func treeTable(v runview.View, o renderOptions) *table {
	narrow := o.narrow()
	headers := []string{"STAGE / GROUP / MEMBER", "STATE", "PROGRESS", "START", "DURATION", "MESSAGE"}
	if narrow {
		headers = slices.Delete(headers, 3, 4)
	}
	t := newTable(headers...)
	row := func(name string, state fleet.State, progress string, start *time.Time, times runview.Times, msg string) {
		cells := []string{name, string(state), progress, fmtClock(start, o.loc), durationCell(times), msg}
		if narrow {
			cells = slices.Delete(cells, 3, 4)
		}
		t.row(cells...)
	}
	for _, s := range v.Stages {
		row(s.Name, s.State, progressCell(s.Done, s.Total, o), s.Start, s.Times, s.Message)
		for gi, gate := range s.BeforeGates {
			last := gi == len(s.BeforeGates)-1 && len(s.Groups) == 0 && len(s.AfterGates) == 0 && s.Wait == nil
			gateRow(row, "", last, gate, o)
		}
		for gi, g := range s.Groups {
			last := gi == len(s.Groups)-1 && s.Wait == nil && len(s.AfterGates) == 0
			branch, stem := "├─ ", "│  "
			if last {
				branch, stem = "└─ ", "   "
			}
			row(branch+g.Name, g.State, progressCell(g.Done, g.Total, o), g.Start, g.Times, g.Message)
			if o.compact && g.State != fleet.Running && g.State != fleet.Pending && g.State != fleet.Failed {
				continue
			}
			for xi, gate := range g.BeforeGates {
				gateRow(row, stem, xi == len(g.BeforeGates)-1 && len(g.Members) == 0 && len(g.AfterGates) == 0, gate, o)
			}
			for mi, m := range g.Members {
				mb := "├─ "
				if mi == len(g.Members)-1 && len(g.AfterGates) == 0 {
					mb = "└─ "
				}
				row(stem+mb+m.Name, m.State, "", m.Start, m.Times, m.Message)
			}
			for xi, gate := range g.AfterGates {
				gateRow(row, stem, xi == len(g.AfterGates)-1, gate, o)
			}
		}
		for gi, gate := range s.AfterGates {
			gateRow(row, "", gi == len(s.AfterGates)-1 && s.Wait == nil, gate, o)
		}
		if w := s.Wait; w != nil {
			row("└─ after-stage wait "+fmtSeconds(w.Seconds), w.State, "", w.Start, w.Times, w.Message)
		}
	}
	return t
}

// gateRow draws a gate of a stage or group: its name, its state, and
// what completes it.
func gateRow(row func(string, fleet.State, string, *time.Time, runview.Times, string), stem string, last bool, g runview.Gate, o renderOptions) {
	branch := "├─ "
	if last {
		branch = "└─ "
	}
	name := "gate"
	if g.Name != "" {
		name += " " + g.Name
	}
	name += " (" + strings.ToLower(string(g.Timing)) + ")"
	msg := ""
	switch {
	case g.State == fleet.Pending && g.Scheduled != nil:
		msg = "opens " + g.Scheduled.In(o.loc).Format("Mon 2006-01-02 15:04 MST") + " (in " + fmtDuration(g.Scheduled.Sub(o.now)) + ")"
	case g.State == fleet.Pending:
		msg = "waiting for approval: caravan gate approve -n " + segmentAfter(g.GateID, "gates")
	}
	row(stem+branch+name, g.State, "", g.Start, g.Times, msg)
}

func progressCell(done, total int, o renderOptions) string {
	if total == 0 {
		return ""
	}
	if o.live {
		n := 10
		if o.narrow() {
			n = 5
		}
		return bar(done, total, n) + fmt.Sprintf(" %d/%d", done, total)
	}
	return fmt.Sprintf("%d/%d", done, total)
}

// durationCell is how long a node ran, or has run so far while it runs.
func durationCell(t runview.Times) string {
	if !t.Timed {
		return ""
	}
	return fmtDuration(t.Elapsed)
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
