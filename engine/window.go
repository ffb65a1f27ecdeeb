package engine

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
)

// soonWindow is how near an opening must be for a member to be taken
// before members with no window, as Fleet orders them.
const soonWindow = 4 * time.Hour

// windowRank orders a group's members by their cluster's maintenance
// window, as Fleet takes them.
type windowRank int

const (
	windowOpen windowRank = iota
	windowSoon
	windowNone
	windowClosed
)

// windowHold is the check of a member's maintenance window before its
// upgrade begins: ok when the window is open or the cluster has none;
// otherwise the message a Pending member shows and the time to look
// again (the next opening; zero when it has none to give). It is pure.
func windowHold(c *cluster.Cluster, t cluster.UpgradeType, now time.Time) (msg string, until time.Time, ok bool) {
	w, has := c.Window(t)
	if !has {
		return "", time.Time{}, true
	}
	name := windowName(t)
	if err := w.Validate(); err != nil {
		return fmt.Sprintf("the cluster's maintenance configuration %s cannot be read (%v); the upgrade waits until it is fixed; will check again", name, err), time.Time{}, false
	}
	s, found := w.Next(now)
	if !found {
		return fmt.Sprintf("outside its maintenance window %s, which does not open in the next three years (see its notAllowedDates and startDate); will check again", name), time.Time{}, false
	}
	if s.Contains(now) {
		return "", time.Time{}, true
	}
	return fmt.Sprintf("outside its maintenance window %s; waiting for it to open at %s (until %s)",
		name, s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339)), s.Start, false
}

func windowName(t cluster.UpgradeType) string {
	if t == cluster.NodeImageOnly {
		return maintenance.NodeOSUpgradeSchedule
	}
	return maintenance.AutoUpgradeSchedule
}

// rankWindow places a window, read from a member's cluster, in Fleet's
// order at now; nil is a cluster with no window.
func rankWindow(w *maintenance.Window, now time.Time) windowRank {
	if w == nil {
		return windowNone
	}
	s, ok := w.Next(now)
	switch {
	case !ok:
		return windowClosed
	case s.Contains(now):
		return windowOpen
	case s.Start.Sub(now) <= soonWindow:
		return windowSoon
	}
	return windowClosed
}

// orderByWindow sorts a group's candidates as Fleet takes them: window
// open now, window opening within four hours, no window, window closed;
// by name within each. The window of a member is the one last read of its
// cluster in this run; a member not read yet counts as having none.
func (rs *runState) orderByWindow(cands []mkey) {
	if len(cands) < 2 {
		return
	}
	rs.scratch = rs.scratch[:0]
	sorted := true
	for i, k := range cands {
		r := rankedMember{k: k, rank: windowNone, name: rs.member(k).Name}
		if w, ok := rs.windows[k]; ok {
			r.rank = rankWindow(w, rs.now)
		}
		if i > 0 {
			p := rs.scratch[i-1]
			if p.rank > r.rank || (p.rank == r.rank && p.name > r.name) {
				sorted = false
			}
		}
		rs.scratch = append(rs.scratch, r)
	}
	if sorted {
		return // the usual case: members in name order, no window known
	}
	slices.SortStableFunc(rs.scratch, func(a, b rankedMember) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	for i := range rs.scratch {
		cands[i] = rs.scratch[i].k
	}
}

// rankedMember is a candidate with what orderByWindow sorts it by.
type rankedMember struct {
	k    mkey
	rank windowRank
	name string
}

// noteWindow remembers the window that governs this run's upgrades on a
// member's cluster, for ordering.
func (rs *runState) noteWindow(k mkey, c *cluster.Cluster) {
	had := rs.windows[k] != nil
	if w, ok := c.Window(cluster.UpgradeType(rs.upgrade)); ok {
		rs.windows[k] = &w
	} else {
		rs.windows[k] = nil
	}
	// windowed counts, by group, the members with a window known.
	switch has := rs.windows[k] != nil; {
	case has && !had:
		rs.windowed[[2]int{k.s, k.g}]++
	case had && !has:
		rs.windowed[[2]int{k.s, k.g}]--
	}
}

// noteWindows remembers the windows of clusters read for another purpose
// (a Consistent run reads every member's cluster when it starts), so that
// the first turn of each group already follows Fleet's order.
func (rs *runState) noteWindows(clusters []*cluster.Cluster) {
	byKey := make(map[string]*cluster.Cluster, len(clusters))
	for _, c := range clusters {
		byKey[fleet.ClusterKey(c.ID)] = c
	}
	rs.each(func(k mkey, m *fleet.MemberStatus) {
		if c := byKey[fleet.ClusterKey(m.ClusterResourceID)]; c != nil {
			rs.noteWindow(k, c)
		}
	})
}
