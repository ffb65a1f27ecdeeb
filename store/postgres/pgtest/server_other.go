//go:build !unix

package pgtest

import (
	"context"
	"fmt"
)

// server is never started here: the throwaway cluster needs Unix.
type server struct{ dsn string }

func startServer(context.Context) (*server, error) {
	return nil, fmt.Errorf("%w: pgtest starts a throwaway cluster on Unix only; set %s to a database the tests may use", errUnavailable, DSNEnv)
}

func (s *server) stop() error { return nil }
