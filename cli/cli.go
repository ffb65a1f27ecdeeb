package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Env is what the commands read and write: the standard streams, the
// environment, the config file and the clock. Tests fill it; Main uses the
// process's.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable (default os.Getenv).
	Getenv func(string) string
	// ConfigPath is the config file (default $CARAVAN_CONFIG, else
	// os.UserConfigDir()/caravan/config.yaml).
	ConfigPath string
	// Now is the clock used to render elapsed times (default time.Now).
	Now func() time.Time
	// Location is the time zone times are shown in (default local).
	Location *time.Location
	// Terminal reports whether w is a terminal, and its size in columns
	// and rows (0 when unknown). Default: a check of the file descriptor.
	Terminal func(w io.Writer) (width, height int, ok bool)
}

func (e *Env) defaults() {
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Location == nil {
		e.Location = time.Local
	}
	if e.Terminal == nil {
		e.Terminal = terminal
	}
}

// Exit codes.
const (
	ExitOK = 0
	// ExitError is any error: a refused request, an unreachable server,
	// a bad file.
	ExitError = 1
	// ExitUsage is a command line that does not parse: an unknown
	// command or flag, a missing or invalid flag.
	ExitUsage = 2
	// ExitRunFailed, ExitRunStopped and ExitTimeout are the outcomes of
	// updaterun wait and watch (and the demo) other than completion.
	ExitRunFailed  = 3
	ExitRunStopped = 4
	ExitTimeout    = 5
	// ExitCheckFailed is caravan check finding problems in a store.
	ExitCheckFailed = 6
	// ExitInterrupted is Ctrl-C.
	ExitInterrupted = 130
)

// Run runs the command line args (without the program name) and returns
// the exit code. Errors are written to env.Stderr in one or two lines.
func Run(ctx context.Context, args []string, env Env) (code int) {
	env.defaults()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.Stderr, "error: caravan failed unexpectedly (%v); please report this with the command you ran\n", r)
			code = ExitError
		}
	}()
	root := newRoot(&env)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	return report(env.Stderr, cmd, err)
}

// Main runs caravan with the process's arguments and streams; the first
// SIGINT or SIGTERM cancels the command's context (a server shuts down
// gracefully, a watch stops), a second one ends the process.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return Run(ctx, os.Args[1:], Env{})
}

// interrupted reports whether err is the command's context being
// canceled by a signal.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err()))
}
