package runview

import (
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// View is a run as it is shown at one instant.
type View struct {
	ID    string      `json:"id"`
	Name  string      `json:"name"`
	Fleet string      `json:"fleet"`
	State fleet.State `json:"state"`
	// Upgrade says what the run does: "Full to Kubernetes 1.32, node
	// images Consistent".
	Upgrade string `json:"upgrade"`
	// Strategy says where the run's stages came from.
	Strategy string `json:"strategy"`
	Times
	// NodeImages are the node image versions the run selected.
	NodeImages []string `json:"nodeImages,omitempty"`
	Counts     Counts   `json:"counts"`
	// Error is why the run failed or stopped, if it says.
	Error string `json:"error,omitempty"`
	// FailureCount is how many members failed, within a failure budget
	// or not.
	FailureCount int     `json:"failureCount,omitempty"`
	Stages       []Stage `json:"stages"`
	// Now is the instant the view was taken at.
	Now time.Time `json:"now"`
}

// Times are a node's start and end, and how long it ran.
type Times struct {
	Start *time.Time `json:"startTime,omitempty"`
	End   *time.Time `json:"endTime,omitempty"`
	// Elapsed is the time from start to end, or to the view's instant
	// while the node runs. It is meaningful only when Timed.
	Elapsed time.Duration `json:"elapsed"`
	// Timed says whether the node shows a time: it started and either
	// ended or still runs (a Pending or Stopped node shows none).
	Timed bool `json:"timed"`
	// Ticking says the elapsed time grows: the node runs.
	Ticking bool `json:"ticking"`
}

// Stage is a stage of the run.
type Stage struct {
	Name  string      `json:"name"`
	State fleet.State `json:"state"`
	Times
	Message string  `json:"message,omitempty"`
	Done    int     `json:"done"`
	Total   int     `json:"total"`
	Groups  []Group `json:"groups"`
	// BeforeGates and AfterGates are the stage's gates.
	BeforeGates []Gate `json:"beforeGates,omitempty"`
	AfterGates  []Gate `json:"afterGates,omitempty"`
	// Wait is the after-stage wait, when the stage has one to show.
	Wait *Wait `json:"wait,omitempty"`
}

// Group is an update group of a stage.
type Group struct {
	Name  string      `json:"name"`
	State fleet.State `json:"state"`
	Times
	Message string   `json:"message,omitempty"`
	Done    int      `json:"done"`
	Total   int      `json:"total"`
	Members []Member `json:"members"`
	// BeforeGates and AfterGates are the group's gates.
	BeforeGates []Gate `json:"beforeGates,omitempty"`
	AfterGates  []Gate `json:"afterGates,omitempty"`
}

// Gate is an approval or scheduled-start gate of a stage or group.
type Gate struct {
	// Name is the gate's display name, if it has one.
	Name string `json:"name,omitempty"`
	// GateID is the id of the gate's resource once the run reached it.
	GateID string       `json:"gateId,omitempty"`
	Timing fleet.Timing `json:"timing"`
	State  fleet.State  `json:"state"`
	Times
	// Scheduled is when a reached scheduled-start gate completes itself.
	Scheduled *time.Time `json:"scheduledTime,omitempty"`
}

// Member is a member of a group.
type Member struct {
	Name      string      `json:"name"`
	ClusterID string      `json:"clusterId,omitempty"`
	State     fleet.State `json:"state"`
	Times
	// Message is what the engine says of the member, or its error.
	Message string `json:"message,omitempty"`
	// Failed says Message is an error.
	Failed bool `json:"failed,omitempty"`
}

// Wait is a stage's after-stage wait.
type Wait struct {
	Seconds int         `json:"seconds"`
	State   fleet.State `json:"state"`
	Times
	// Message says when a running wait ends or how much a stopped one
	// has left.
	Message  string     `json:"message,omitempty"`
	Deadline *time.Time `json:"deadline,omitempty"`
}

// Of returns the view of run at now.
func Of(run *fleet.UpdateRun, now time.Time) View {
	v := View{
		ID:       run.ID,
		Name:     run.Name,
		Fleet:    segmentAfter(run.ID, "fleets"),
		State:    fleet.NotStarted,
		Upgrade:  DescribeUpdate(run.Properties.ManagedClusterUpdate),
		Strategy: StrategyName(run.Properties),
		Stages:   []Stage{},
		Now:      now,
	}
	st := run.Properties.Status
	if st == nil {
		return v
	}
	v.State = st.Status.State
	v.Times = timesOf(st.Status, now)
	if st.Status.Error != nil {
		v.Error = st.Status.Error.Message
	}
	if sel := st.NodeImageSelection; sel != nil {
		for _, n := range sel.SelectedNodeImageVersions {
			v.NodeImages = append(v.NodeImages, n.Version)
		}
	}
	v.Counts = CountMembers(st)
	v.FailureCount = st.FailureCount
	for _, s := range st.Stages {
		sv := Stage{Name: s.Name, State: s.Status.State, Times: timesOf(s.Status, now), Message: errorMessage(s.Status), Groups: []Group{}}
		for _, g := range s.Groups {
			gv := Group{Name: g.Name, State: g.Status.State, Times: timesOf(g.Status, now), Message: errorMessage(g.Status), Members: []Member{}}
			for _, m := range g.Members {
				mv := Member{Name: m.Name, ClusterID: m.ClusterResourceID, State: m.Status.State, Times: timesOf(m.Status, now), Message: m.Message}
				if mv.Message == "" && m.Status.Error != nil {
					mv.Message, mv.Failed = m.Status.Error.Message, true
				}
				gv.Total++
				if m.Status.State.Finished() {
					gv.Done++
				}
				gv.Members = append(gv.Members, mv)
			}
			gv.BeforeGates = gatesOf(g.BeforeGates, fleet.Before, now)
			gv.AfterGates = gatesOf(g.AfterGates, fleet.After, now)
			sv.Done += gv.Done
			sv.Total += gv.Total
			sv.Groups = append(sv.Groups, gv)
		}
		sv.BeforeGates = gatesOf(s.BeforeGates, fleet.Before, now)
		sv.AfterGates = gatesOf(s.AfterGates, fleet.After, now)
		if w := s.AfterStageWaitStatus; w != nil && (w.WaitDurationInSeconds > 0 || w.Status.State == fleet.Skipped) {
			sv.Wait = &Wait{Seconds: w.WaitDurationInSeconds, State: w.Status.State, Times: timesOf(w.Status, now), Message: waitMessage(w, now), Deadline: w.Deadline}
		}
		v.Stages = append(v.Stages, sv)
	}
	return v
}

func gatesOf(gs []fleet.GateStatus, timing fleet.Timing, now time.Time) []Gate {
	var out []Gate
	for _, g := range gs {
		out = append(out, Gate{Name: g.DisplayName, GateID: g.GateID, Timing: timing, State: g.Status.State, Times: timesOf(g.Status, now), Scheduled: g.ScheduledTime})
	}
	return out
}

func timesOf(s fleet.UpdateStatus, now time.Time) Times {
	t := Times{Start: s.StartTime, End: s.CompletedTime}
	if s.StartTime == nil || s.StartTime.IsZero() {
		return t
	}
	if s.CompletedTime != nil && !s.CompletedTime.IsZero() {
		t.Elapsed, t.Timed = s.CompletedTime.Sub(*s.StartTime), true
		return t
	}
	if s.State == fleet.Running || s.State == fleet.Stopping {
		t.Elapsed, t.Timed, t.Ticking = now.Sub(*s.StartTime), true, true
	}
	return t
}

func errorMessage(s fleet.UpdateStatus) string {
	if s.Error != nil {
		return s.Error.Message
	}
	return ""
}

func waitMessage(w *fleet.WaitStatus, now time.Time) string {
	switch {
	case w.Status.State == fleet.Running && w.Deadline != nil:
		return "ends in " + FormatDuration(w.Deadline.Sub(now))
	case w.Status.State == fleet.Stopped && w.RemainingMilliseconds > 0:
		return FormatDuration(time.Duration(w.RemainingMilliseconds)*time.Millisecond) + " left"
	}
	return ""
}

// DescribeUpdate says what a run does: "Full to Kubernetes 1.32, node
// images Consistent".
func DescribeUpdate(u fleet.ManagedClusterUpdate) string {
	var b strings.Builder
	b.WriteString(string(u.Upgrade.Type))
	if u.Upgrade.KubernetesVersion != "" {
		b.WriteString(" to Kubernetes " + u.Upgrade.KubernetesVersion)
	}
	if u.Upgrade.Type != fleet.UpgradeControlPlaneOnly {
		b.WriteString(", node images " + string(u.SelectionType()))
		if sel := u.NodeImageSelection; sel != nil && len(sel.CustomNodeImageVersions) > 0 {
			var vs []string
			for _, v := range sel.CustomNodeImageVersions {
				vs = append(vs, v.Version)
			}
			b.WriteString(" (" + strings.Join(vs, ", ") + ")")
		}
	}
	return b.String()
}

// StrategyName says where a run's stages came from.
func StrategyName(p fleet.UpdateRunProperties) string {
	switch {
	case p.UpdateStrategyID != "":
		return segmentAfter(p.UpdateStrategyID, "updateStrategies")
	case p.Strategy != nil:
		return "its own stages"
	}
	return "none: every member in one group, one at a time"
}

// segmentAfter returns the path segment of an ARM id after the named one,
// compared case-insensitively.
func segmentAfter(id, name string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], name) {
			return parts[i+1]
		}
	}
	return ""
}
