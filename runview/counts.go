package runview

import "github.com/caravan-dev/caravan/fleet"

// Counts tally a run's members by state.
type Counts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	Running   int `json:"running"`
	Pending   int `json:"pending"`
}

// Done is how many members need nothing more: upgraded or skipped.
func (c Counts) Done() int { return c.Completed + c.Skipped }

// CountMembers tallies the members of a run's tree.
func CountMembers(st *fleet.RunStatus) Counts {
	var c Counts
	if st == nil {
		return c
	}
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				c.Total++
				switch m.Status.State {
				case fleet.Completed:
					c.Completed++
				case fleet.Skipped:
					c.Skipped++
				case fleet.Failed:
					c.Failed++
				case fleet.Running:
					c.Running++
				case fleet.Pending:
					c.Pending++
				}
			}
		}
	}
	return c
}
