package server

import (
	"fmt"
	"os"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/engine"
	"github.com/caravan-dev/caravan/store"
)

// ownership is how the server's engine shares runs: on PostgreSQL, by
// run leases with the other servers on the same database; on SQLite, it
// drives every run itself (one server has the data directory).
func (s *Server) ownership(cfg Config) (*engine.Ownership, error) {
	if cfg.DB == "" {
		return nil, nil
	}
	leaser, ok := s.Store.(store.Leaser)
	if !ok {
		return nil, fmt.Errorf("the store has no run leases")
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "caravan"
	}
	// A new name each start: a server restarted is a new owner, so the
	// leases its earlier life held are taken with a new epoch.
	owner := host + "-" + auth.NewToken()[:12]
	s.owner = owner
	return &engine.Ownership{Leaser: leaser, Owner: owner, TTL: cfg.LeaseTTL, Interval: cfg.LeaseInterval}, nil
}
