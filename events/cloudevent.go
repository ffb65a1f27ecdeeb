package events

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/feed"
)

// TypePrefix begins every event type.
const TypePrefix = "dev.caravan.updaterun"

// CloudEvent is an event in the CloudEvents 1.0 JSON format.
type CloudEvent struct {
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	// Source is the update run's ARM resource id.
	Source string `json:"source"`
	// Type is TypePrefix, the kind of node unless it is the run itself,
	// and the new state in lower case: dev.caravan.updaterun.running,
	// dev.caravan.updaterun.member.completed.
	Type string `json:"type"`
	// Subject is the node within the run (stages/s/groups/g/members/m);
	// empty for the run itself.
	Subject         string    `json:"subject,omitempty"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            Data      `json:"data"`
}

// Data is what an event says about the transition.
type Data struct {
	RunID     string `json:"runId"`
	RunName   string `json:"runName"`
	FleetID   string `json:"fleetId"`
	FleetName string `json:"fleetName"`
	// Kind is run, stage, wait, group, member or gate.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Path is the node's stage/group/member path; empty for the run.
	Path          string `json:"path,omitempty"`
	PreviousState string `json:"previousState,omitempty"`
	State         string `json:"state"`
	Message       string `json:"message,omitempty"`
	// GateID is a gate's resource id, to approve it by; only for gates.
	GateID string      `json:"gateId,omitempty"`
	Caller feed.Caller `json:"caller"`
	// ETag is the run's ETag after the transition.
	ETag string `json:"etag,omitempty"`
	// Reconciled marks a transition found by comparing the run with its
	// recorded events after a restart, rather than seen as it happened:
	// its time is when it was found, and intermediate states may be
	// missing.
	Reconciled bool `json:"reconciled,omitempty"`
}

// Type is the event type of a transition of a node of kind k to state.
func Type(k feed.Kind, state string) string {
	t := TypePrefix
	if k != feed.KindRun {
		t += "." + string(k)
	}
	return t + "." + strings.ToLower(state)
}

// subject is a node's CloudEvents subject.
func subject(c feed.Change) string {
	parts := strings.Split(c.Path, "/")
	switch c.Kind {
	case feed.KindStage:
		return "stages/" + parts[0]
	case feed.KindWait:
		return "stages/" + parts[0] + "/afterStageWait"
	case feed.KindGroup:
		return "stages/" + parts[0] + "/groups/" + parts[len(parts)-1]
	case feed.KindMember:
		if len(parts) == 3 {
			return "stages/" + parts[0] + "/groups/" + parts[1] + "/members/" + parts[2]
		}
	case feed.KindGate:
		// stage/{timing}Gates/i or stage/group/{timing}Gates/i
		switch len(parts) {
		case 3:
			return "stages/" + parts[0] + "/" + parts[1] + "/" + parts[2]
		case 4:
			return "stages/" + parts[0] + "/groups/" + parts[1] + "/" + parts[2] + "/" + parts[3]
		}
	}
	return ""
}

// FromChange makes the event of a change.
func FromChange(id string, c feed.Change, reconciled bool) CloudEvent {
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              id,
		Source:          c.RunID,
		Type:            Type(c.Kind, string(c.New)),
		Subject:         subject(c),
		Time:            c.Time.UTC(),
		DataContentType: "application/json",
		Data: Data{
			RunID: c.RunID, RunName: c.RunName(), FleetID: c.FleetID, FleetName: c.FleetName(),
			Kind: string(c.Kind), Name: c.Name, Path: c.Path,
			PreviousState: string(c.Old), State: string(c.New), Message: c.Message, GateID: c.GateID,
			Caller: c.Caller, ETag: c.ETag, Reconciled: reconciled,
		},
	}
}

// WithSequence returns a stored event's JSON with the CloudEvents
// "sequence" extension attribute: its position in the server's event log
// (a decimal string; a later event has a greater number).
func WithSequence(body []byte, seq int64) json.RawMessage {
	if len(body) < 2 || body[0] != '{' {
		return body
	}
	out := make([]byte, 0, len(body)+32)
	out = append(out, `{"sequence":"`...)
	out = strconv.AppendInt(out, seq, 10)
	out = append(out, '"')
	if body[1] != '}' {
		out = append(out, ',')
	}
	return append(out, body[1:]...)
}
