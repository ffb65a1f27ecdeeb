package simcloud

import (
	"strings"
	"sync"
)

// opLog is every recorded operation in the order the simulator accepted
// them. Records are appended under mu; a record's mutable fields are
// guarded by its cluster's lock.
type opLog struct {
	mu   sync.Mutex
	recs []*record
}

func (l *opLog) append(recs []*record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, recs...)
}

func (l *opLog) snapshot() []*record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recs[:len(l.recs):len(l.recs)]
}

// Operations returns the recorded operations that match f, oldest first,
// each as it stands now (finished operations show their end and result).
// Records outlive their clusters: a deleted cluster's operations stay.
func (cl *Cloud) Operations(f OperationFilter) []Operation {
	now := cl.now()
	out := []Operation{}
	for _, r := range cl.log.snapshot() {
		if f.Kind != "" && r.op.Kind != f.Kind {
			continue
		}
		if f.Cluster != "" && !clusterMatches(r.cluster, f.Cluster) {
			continue
		}
		r.cluster.mu.Lock()
		cl.settle(r.cluster, now)
		op := r.op
		r.cluster.mu.Unlock()
		if op.Error != nil {
			e := *op.Error
			op.Error = &e
		}
		out = append(out, op)
	}
	return out
}

// clusterMatches reports whether s names c: its ARM id in any case, or
// its name.
func clusterMatches(c *cluster, s string) bool {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	return strings.EqualFold(c.id, s) || strings.EqualFold(c.name, s)
}
