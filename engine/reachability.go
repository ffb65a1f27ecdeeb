package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

// reported is a provider's word on an operation in flight: a look at the
// cloud failed (err), or succeeded again (nil).
type reported struct {
	k    mkey
	opID string
	err  error
}

// cloudTrouble is a member held up by a cloud that does not answer: its
// upgrade cannot be followed, or its cluster cannot be read before its
// turn. While any member is held up, the run's message says so.
type cloudTrouble struct {
	err error
	// following: reported by the provider for the member's upgrade in
	// flight; restore is the member's message from before, shown again
	// once the cloud answers. Otherwise the member's inspection failed,
	// and its Pending message says so itself.
	following bool
	restore   string
}

// onReported shows a failed look on the member whose upgrade it holds up,
// and takes it away when the cloud answers again.
func (r *runner) onReported(ev reported) {
	m := r.rs.member(ev.k)
	if m.Status.State != fleet.Running || m.OperationID != ev.opID {
		return
	}
	t, had := r.trouble[ev.k]
	had = had && t.following
	r.rs.touchMember(ev.k)
	if ev.err == nil {
		if had {
			delete(r.trouble, ev.k)
			r.rs.setMessage(m, t.restore)
		}
		return
	}
	if !had {
		t = cloudTrouble{following: true, restore: m.Message}
	}
	t.err = ev.err
	r.trouble[ev.k] = t
	r.rs.setMessage(m, troubleText(ev.err)+"; retrying")
}

// onInspectedTrouble notes whether a member's cluster could be read before
// its turn.
func (r *runner) onInspectedTrouble(ev inspected) {
	var ce *cluster.Error
	if ev.err != nil && errors.As(ev.err, &ce) && ce.Reason == cluster.Transient {
		r.trouble[ev.k] = cloudTrouble{err: ev.err}
		return
	}
	if t, ok := r.trouble[ev.k]; ok && !t.following {
		delete(r.trouble, ev.k)
	}
}

// showTrouble forgets members that moved on (finished, failed, stopped
// waiting) and sets the run's message from the members still held up.
func (r *runner) showTrouble() {
	for k, t := range r.trouble {
		s := r.rs.member(k).Status.State
		if (t.following && s != fleet.Running) || (!t.following && s != fleet.Pending) {
			delete(r.trouble, k)
		}
	}
	st := r.rs.status()
	msg := ""
	if n := len(r.trouble); n > 0 && r.rs.active() {
		keys := slices.SortedFunc(maps.Keys(r.trouble), func(a, b mkey) int {
			return strings.Compare(r.rs.memberName(a), r.rs.memberName(b))
		})
		var names []string
		for _, k := range keys[:min(n, 5)] {
			names = append(names, r.rs.memberName(k))
		}
		if n > 5 {
			names = append(names, fmt.Sprintf("and %d more", n-5))
		}
		noun := "members"
		if n == 1 {
			noun = "member"
		}
		msg = fmt.Sprintf("%d %s held up (%s): %s; retrying", n, noun, strings.Join(names, ", "), troubleText(r.trouble[keys[0]].err))
	}
	if st.Message != msg {
		st.Message = msg
		r.rs.dirty = true
	}
}

// troubleText is the provider's message without its code.
func troubleText(err error) string {
	var ce *cluster.Error
	if errors.As(err, &ce) && ce.Message != "" {
		return ce.Message
	}
	return err.Error()
}
