package runs

import (
	"fmt"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/maintenance"
)

// ApplyWindows adds to a plan what the members' maintenance windows say
// at now: each member's window, and a member that would be upgraded but
// whose window is closed waits (Pending) for the next opening, as the
// engine holds it.
func ApplyWindows(p *Plan, obs Observations, now time.Time) {
	t := cluster.UpgradeType(p.Upgrade)
	for i := range p.Members {
		m := &p.Members[i]
		o := obs[fleet.ClusterKey(m.ClusterResourceID)]
		if o.Cluster == nil || m.Action == Done {
			continue
		}
		w, ok := o.Cluster.Window(t)
		if !ok {
			continue
		}
		name := windowName(t)
		s, found := w.Next(now)
		switch {
		case !found:
			m.MaintenanceWindow = fmt.Sprintf("%s does not open in the next three years", name)
		case s.Contains(now):
			m.MaintenanceWindow = fmt.Sprintf("%s open until %s", name, s.End.UTC().Format(time.RFC3339))
			continue
		default:
			m.MaintenanceWindow = fmt.Sprintf("%s closed; opens %s (until %s)", name, s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339))
		}
		if m.Action == Upgrade {
			m.Action = Pending
			if found {
				m.Reason = fmt.Sprintf("outside its maintenance window %s; the member will wait for it to open at %s", name, s.Start.UTC().Format(time.RFC3339))
			} else {
				m.Reason = fmt.Sprintf("outside its maintenance window %s, which does not open in the next three years; the member will wait", name)
			}
		}
	}
}

func windowName(t cluster.UpgradeType) string {
	if t == cluster.NodeImageOnly {
		return maintenance.NodeOSUpgradeSchedule
	}
	return maintenance.AutoUpgradeSchedule
}
