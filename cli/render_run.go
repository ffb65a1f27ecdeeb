package cli

import (
	"bytes"
	"fmt"
	"io"
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
	fmt.Fprintf(&buf, "Update run %s in fleet %s: %s\n", v.Name, v.Fleet, v.State)
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
		progress = bar(c.Done(), c.Total, 24) + " " + progress
	}
	head.row("  Progress:", progress)
	if v.Error != "" {
		head.row("  Error:", v.Error)
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
	t := newTable("STAGE / GROUP / MEMBER", "STATE", "PROGRESS", "START", "DURATION", "MESSAGE")
	for _, s := range v.Stages {
		t.row(s.Name, string(s.State), progressCell(s.Done, s.Total, o.live), fmtClock(s.Start, o.loc), durationCell(s.Times), s.Message)
		for gi, g := range s.Groups {
			last := gi == len(s.Groups)-1 && s.Wait == nil
			branch, stem := "├─ ", "│  "
			if last {
				branch, stem = "└─ ", "   "
			}
			t.row(branch+g.Name, string(g.State), progressCell(g.Done, g.Total, o.live), fmtClock(g.Start, o.loc), durationCell(g.Times), g.Message)
			if o.compact && g.State != fleet.Running && g.State != fleet.Pending && g.State != fleet.Failed {
				continue
			}
			for mi, m := range g.Members {
				mb := "├─ "
				if mi == len(g.Members)-1 {
					mb = "└─ "
				}
				t.row(stem+mb+m.Name, string(m.State), "", fmtClock(m.Start, o.loc), durationCell(m.Times), m.Message)
			}
		}
		if w := s.Wait; w != nil {
			t.row("└─ after-stage wait "+fmtSeconds(w.Seconds), string(w.State), "", fmtClock(w.Start, o.loc), durationCell(w.Times), w.Message)
		}
	}
	return t
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
