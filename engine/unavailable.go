package engine

import (
	"fmt"
	"time"
)

// UnavailableError says that the engine did not apply a command because it
// cannot act now: it is shutting down, its store does not answer, or the
// run's runner did not take the command in time. Nothing was changed; the
// caller may send the command again after RetryAfter.
type UnavailableError struct {
	Message string
	// Wait is how long the caller should wait before trying again.
	Wait time.Duration
}

func (e *UnavailableError) Error() string { return e.Message }

// RetryAfter is how long the caller should wait before trying again.
func (e *UnavailableError) RetryAfter() time.Duration { return e.Wait }

func unavailable(wait time.Duration, format string, args ...any) *UnavailableError {
	return &UnavailableError{Message: fmt.Sprintf(format, args...), Wait: wait}
}

// DefaultCommandTimeout bounds how long a start, stop or skip waits for
// its run's runner to take it and for the store to answer before it is
// refused with an UnavailableError.
const DefaultCommandTimeout = 5 * time.Second

// shutdownRetryAfter is the wait suggested to a caller refused because the
// engine is shutting down: a restarted server takes over in seconds.
const shutdownRetryAfter = 2 * time.Second

func errShuttingDown() error {
	return unavailable(shutdownRetryAfter, "the engine is shutting down and did not apply the request; try again")
}
