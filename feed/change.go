package feed

import (
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// Kind is the kind of node a change is about.
type Kind string

// Kinds of node. Resync is not a node: it tells a subscriber that it fell
// behind and lost changes.
const (
	KindRun    Kind = "run"
	KindStage  Kind = "stage"
	KindWait   Kind = "wait" // a stage's after-stage wait
	KindGroup  Kind = "group"
	KindMember Kind = "member"
	KindGate   Kind = "gate"
	KindResync Kind = "resync"
)

// States of a run that exist only in the feed: a run written by a create,
// and a run removed by a delete. A created run's Old state is empty.
const (
	Created fleet.State = "Created"
	Deleted fleet.State = "Deleted"
)

// Change is one transition of one node of an update run.
type Change struct {
	// Seq numbers the changes a feed published, from 1, in order.
	Seq uint64
	// RunID and FleetID are ARM resource ids, as the run spells them.
	RunID   string
	FleetID string
	// Kind is the kind of node; Name its name (the run's name for a run,
	// "afterStageWait" for a wait); Path locates it in the run's tree:
	// "" for the run, "stage", "stage/afterStageWait", "stage/group",
	// "stage/group/member", and for a gate its place and index:
	// "stage/beforeGates/0", "stage/group/afterGates/1".
	Kind Kind
	Name string
	Path string
	// Old and New are the node's states before and after.
	Old, New fleet.State
	// Message is the node's error or member message after the change,
	// if any.
	Message string
	// GateID is a gate's resource id (…/fleets/{f}/gates/{guid}), once
	// the run reached it; empty for other kinds.
	GateID string
	// Time is when the change was made, by the engine's or API's clock.
	Time time.Time
	// Caller is who caused the change: the token behind a command or an
	// API request, or Engine.
	Caller Caller
	// ETag is the run's ETag after the change (empty for a deletion).
	ETag string
}

// RunName is the run's name, the last segment of RunID.
func (c Change) RunName() string { return lastSegment(c.RunID) }

// FleetName is the fleet's name, the last segment of FleetID.
func (c Change) FleetName() string { return lastSegment(c.FleetID) }

func lastSegment(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}
