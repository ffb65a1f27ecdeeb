package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

// defaultPollInterval is how often wait and watch read the run: a state
// change shows within it.
const defaultPollInterval = 250 * time.Millisecond

// unreachableGrace is how long wait and watch keep trying a server that
// stopped answering before they give up.
const unreachableGrace = 15 * time.Second

// watchMode is how a watch shows the run.
type watchMode int

const (
	// watchSilent shows nothing (updaterun wait).
	watchSilent watchMode = iota
	// watchLines prints one line per change, for logs and pipes.
	watchLines
	// watchLive redraws the tree in place, for a terminal.
	watchLive
)

// watcher follows a run until it ends.
type watcher struct {
	client   *client.Client
	ref      fleet.FleetRef
	name     string
	interval time.Duration
	out      io.Writer
	mode     watchMode
	width    int
	height   int
	now      func() time.Time
	loc      *time.Location
}

// watch polls the run until it is Completed, Failed or Stopped and
// returns it.
func (w *watcher) watch(ctx context.Context) (*fleet.UpdateRun, error) {
	var lines *changeLog
	live := &liveScreen{out: w.out}
	defer live.close()
	notedNotStarted := false
	var unreachableSince time.Time
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	for {
		run, err := w.client.GetRun(ctx, w.ref, w.name)
		var ue *client.UnreachableError
		switch {
		case errors.As(err, &ue) && ctx.Err() == nil:
			if unreachableSince.IsZero() {
				unreachableSince = w.now()
			}
			if w.now().Sub(unreachableSince) > unreachableGrace {
				return nil, err
			}
		case err != nil:
			return nil, err
		default:
			unreachableSince = time.Time{}
			state := runState(run)
			switch w.mode {
			case watchLive:
				live.draw(liveText(run, renderOptions{now: w.now(), loc: w.loc, live: true, width: w.width}, w.height))
			case watchLines:
				if lines == nil {
					lines = newChangeLog(run, w.loc)
				}
				lines.update(w.out, run, w.now())
				if state == fleet.NotStarted && !notedNotStarted {
					fmt.Fprintf(w.out, "Update run %s has not started; waiting for it to start (caravan updaterun start -n %s).\n", w.name, w.name)
					notedNotStarted = true
				}
			}
			if state == fleet.Completed || state == fleet.Failed || state == fleet.Stopped {
				return run, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}

func runState(run *fleet.UpdateRun) fleet.State {
	if run.Properties.Status == nil {
		return fleet.NotStarted
	}
	return run.Properties.Status.Status.State
}

// outcome turns a finished run into the command's result: nil when it
// completed, else an exitError saying why.
func outcome(run *fleet.UpdateRun, ref fleet.FleetRef) error {
	st := run.Properties.Status
	switch runState(run) {
	case fleet.Completed:
		return nil
	case fleet.Failed:
		why := "a member failed"
		if st != nil && st.Status.Error != nil {
			why = st.Status.Error.Message
		}
		return &exitError{code: ExitRunFailed, msg: fmt.Sprintf("update run %s failed: %s\nSee it with `caravan updaterun show -g %s -f %s -n %s`; start it again to retry the failed members, or skip them.", run.Name, why, ref.ResourceGroup, ref.Fleet, run.Name)}
	}
	return &exitError{code: ExitRunStopped, msg: fmt.Sprintf("update run %s was stopped; resume it with `caravan updaterun start -g %s -f %s -n %s`", run.Name, ref.ResourceGroup, ref.Fleet, run.Name)}
}

func (a *app) watchCmd(use, short, long, example string, silent bool) *cobra.Command {
	var name string
	var interval, timeout time.Duration
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long,
		Example: example,
		Args:    noArgs("name the run with --name (-n)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needName(cmd, "name", name, "update run"); err != nil {
				return err
			}
			if interval <= 0 {
				return usagef("--interval must be positive, such as 250ms")
			}
			cl, ref, err := a.fleetClient(a.fleet)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			w := &watcher{client: cl, ref: ref, name: name, interval: interval, out: cmd.OutOrStdout(), now: a.env.Now, loc: a.env.Location, mode: watchSilent}
			if !silent {
				w.mode = watchLines
				if width, height, ok := a.env.Terminal(w.out); ok {
					w.mode, w.width, w.height = watchLive, width, height
				}
			}
			run, err := w.watch(ctx)
			switch {
			case err == nil:
				return outcome(run, ref)
			case errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil:
				return &exitError{code: ExitTimeout, msg: fmt.Sprintf("update run %s did not end within %s; it goes on (see it with `caravan updaterun show -g %s -f %s -n %s`)", name, timeout, ref.ResourceGroup, ref.Fleet, name)}
			case interrupted(cmd.Context(), err):
				return &exitError{code: ExitInterrupted, msg: fmt.Sprintf("stopped watching; update run %s goes on", name)}
			}
			return explain404(cmd.Context(), cl, err, ref, "update run", name, "updaterun")
		},
	}
	c.Flags().StringVarP(&name, "name", "n", "", "name of the update run: 1 to 50 lower-case letters, digits and dashes")
	c.Flags().DurationVar(&interval, "interval", defaultPollInterval, "how often to read the run")
	c.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long, such as 30m (exit code 5); 0 waits for ever")
	return c
}

func (a *app) runWaitCmd() *cobra.Command {
	return a.watchCmd("wait", "Wait silently until an update run ends",
		`Wait until an update run ends. The exit code says how: 0 completed,
3 failed, 4 stopped, 5 --timeout passed.`,
		`  caravan updaterun wait -g prod -f fleet-1 -n to-1-32 --timeout 2h && echo upgraded`, true)
}

func (a *app) runWatchCmd() *cobra.Command {
	return a.watchCmd("watch", "Show an update run live until it ends",
		`Show an update run live until it ends. On a terminal the tree of stages,
groups and members is redrawn with progress bars and elapsed times;
otherwise one line is printed per change. The exit code says how the run
ended: 0 completed, 3 failed, 4 stopped, 5 --timeout passed.`,
		`  caravan updaterun watch -g prod -f fleet-1 -n to-1-32
  caravan updaterun watch -g prod -f fleet-1 -n to-1-32 | tee upgrade.log`, false)
}

// liveText renders a run to fit a terminal of the given height: when the
// whole tree does not fit, members are shown only for groups in progress,
// with a line saying so; when that still does not fit, the tree is cut
// and its last line says how many lines are hidden.
func liveText(run *fleet.UpdateRun, o renderOptions, height int) string {
	var b strings.Builder
	renderRun(&b, run, o)
	text := b.String()
	// The cursor rests on the line after the text, so height-1 lines show.
	if height <= 0 || strings.Count(text, "\n") < height {
		return text
	}
	b.Reset()
	o.compact = true
	renderRun(&b, run, o)
	text = b.String()
	if n := strings.Count(text, "\n"); n+1 < height {
		return text + cut("(members shown only for groups in progress: the terminal is too short for all)\n", o.width)
	}
	lines := strings.SplitAfter(text, "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	keep := max(height-2, 0)
	hidden := len(lines) - keep
	return strings.Join(lines[:keep], "") + cut(fmt.Sprintf("… %d more %s hidden: the terminal is too short; see all with updaterun show\n", hidden, plural(hidden, "line", "lines")), o.width)
}

// liveScreen redraws a block of text in place on a terminal: it moves the
// cursor back to the block's first line and writes each line over the
// old one, clearing what is left of it, so the screen does not flicker.
type liveScreen struct {
	out   io.Writer
	lines int
	last  string
	shown bool
}

func (s *liveScreen) draw(text string) {
	if s.shown && text == s.last {
		return
	}
	var b strings.Builder
	if !s.shown {
		b.WriteString("\x1b[?25l") // hide the cursor while drawing
		s.shown = true
	}
	if s.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r", s.lines)
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		if body, ok := strings.CutSuffix(line, "\n"); ok {
			b.WriteString(body + "\x1b[K\n")
		} else {
			b.WriteString(line)
		}
	}
	b.WriteString("\x1b[J")
	io.WriteString(s.out, b.String())
	s.lines = strings.Count(text, "\n")
	s.last = text
}

func (s *liveScreen) close() {
	if s.shown {
		io.WriteString(s.out, "\x1b[?25h")
	}
}
