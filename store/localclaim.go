package store

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// LocalClaims are claims on clusters kept in process memory: what a store
// that only one process uses, and that keeps nothing beyond it, needs to
// implement Claimer. A store embeds it and sets Runs.
type LocalClaims struct {
	mu     sync.Mutex
	claims map[string]Claim // by cluster
	// Runs reads the store's run records, to tell whether a claim's run
	// is still live.
	Runs func(ctx context.Context, id string) (Record, error)
	// Now defaults to time.Now.
	Now func() time.Time
}

func (c *LocalClaims) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// live reports whether run's record is in one of the live states; the
// caller holds mu.
func (c *LocalClaims) live(ctx context.Context, run string, live []string) (bool, error) {
	if c.Runs == nil {
		return true, nil
	}
	rec, err := c.Runs(ctx, run)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return liveState(rec.State, live), nil
}

// ClaimCluster implements Claimer.
func (c *LocalClaims) ClaimCluster(ctx context.Context, cluster, run string, epoch int64, live []string) (Claim, error) {
	cluster, run = CanonicalID(cluster), CanonicalID(run)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.claims == nil {
		c.claims = map[string]Claim{}
	}
	cur, ok := c.claims[cluster]
	switch {
	case ok && cur.Run == run && cur.Epoch > epoch:
		return Claim{}, ErrLeaseLost
	case ok && cur.Run == run:
		cur.Epoch = epoch
		c.claims[cluster] = cur
		return cur, nil
	case ok:
		alive, err := c.live(ctx, cur.Run, live)
		if err != nil {
			return Claim{}, err
		}
		if alive {
			return Claim{}, &ClaimedError{Holder: cur}
		}
	}
	next := Claim{Cluster: cluster, Run: run, Epoch: epoch, Since: c.now()}
	c.claims[cluster] = next
	return next, nil
}

// ReleaseClaim implements Claimer.
func (c *LocalClaims) ReleaseClaim(ctx context.Context, cluster, run string, epoch int64) error {
	cluster, run = CanonicalID(cluster), CanonicalID(run)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.claims[cluster]; ok && cur.Run == run && cur.Epoch <= epoch {
		delete(c.claims, cluster)
	}
	return nil
}

// ReleaseClaims implements Claimer.
func (c *LocalClaims) ReleaseClaims(ctx context.Context, run string, epoch int64) error {
	run = CanonicalID(run)
	c.mu.Lock()
	defer c.mu.Unlock()
	for cluster, cur := range c.claims {
		if cur.Run == run && cur.Epoch <= epoch {
			delete(c.claims, cluster)
		}
	}
	return nil
}

// Claims implements Claimer.
func (c *LocalClaims) Claims(ctx context.Context, run string) ([]Claim, error) {
	run = CanonicalID(run)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Claim
	for _, cur := range c.claims {
		if run == "" || cur.Run == run {
			out = append(out, cur)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out, nil
}
