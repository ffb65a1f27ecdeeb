package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/api"
	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/client"
)

// usageError is a command line that does not parse: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError ends the command with a given code and message (which may be
// empty when the command already said why).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// report writes err in one or two lines and returns the exit code.
func report(w io.Writer, cmd *cobra.Command, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(w, ee.msg)
		}
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(w, "error: %s\n", ue.msg)
		if cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "interrupted")
		return ExitInterrupted
	}
	fmt.Fprintf(w, "error: %s\n", describe(err))
	return ExitError
}

// describe turns an API client error into what to do about it.
func describe(err error) string {
	var unreachable *client.UnreachableError
	var ce *client.Error
	switch {
	case errors.As(err, &unreachable):
		return fmt.Sprintf("cannot reach caravan at %s: %v; start one with `caravan serve` (or `caravan demo --keep`), or point --server or CARAVAN_ADDR at it", unreachable.URL, unreachable.Err)
	case errors.As(err, &ce):
		switch ce.StatusCode {
		case http.StatusUnauthorized:
			return "the server refused the token: set --token or CARAVAN_TOKEN, or run `caravan login`"
		case http.StatusForbidden:
			role := requiredRole(ce)
			return fmt.Sprintf("permission denied: this needs the %s role, which the token does not have; ask an admin for a token with the %s role", role, role)
		case http.StatusPreconditionFailed:
			return "the resource has changed since you read it (its ETag no longer matches --if-match); show it again and retry"
		}
		if ce.StatusCode >= 500 {
			return fmt.Sprintf("the server could not complete the request (%d %s): %s", ce.StatusCode, http.StatusText(ce.StatusCode), ce.Message)
		}
		if ce.Message != "" {
			return ce.Message
		}
		return ce.Error()
	}
	return err.Error()
}

// requiredRole is the role the API's route table asks for the failed
// request.
func requiredRole(ce *client.Error) string {
	u, err := url.Parse(ce.URL)
	if err != nil {
		return auth.Admin.String()
	}
	m, ok := api.Match(&http.Request{Method: ce.Method, URL: u})
	if !ok {
		return auth.Admin.String()
	}
	return m.Role().String()
}
