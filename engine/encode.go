package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/caravan-dev/caravan/fleet"
)

// The engine writes the whole run document after every batch of events.
// A large run's document is megabytes, most of it groups that did not
// change: encode keeps each group's JSON and encodes again only the groups
// that changed since. A group changes when one of its members does (every
// event about a member, and every member the scheduler holds, marks its
// group with touchGroup; commands mark them all) or when deriveGroup
// changes its status. The result is byte for byte what json.Marshal makes
// of the run.

// checkEncoding makes encode compare its result with json.Marshal's;
// the engine's tests turn it on.
var checkEncoding = false

// touchGroup marks group gi of stage si as changed.
func (rs *runState) touchGroup(si, gi int) {
	if si < len(rs.groupJSON) && gi < len(rs.groupJSON[si]) {
		rs.groupJSON[si][gi] = nil
	}
	rs.parts.markGroup(si, gi)
}

// touchMember marks member k as changed, and its group with it.
func (rs *runState) touchMember(k mkey) {
	rs.touchGroup(k.s, k.g)
	rs.parts.markMember(k)
}

// touchAll marks every group as changed.
func (rs *runState) touchAll() {
	rs.groupJSON = nil
	rs.parts.all = true
}

// encode returns the run document as JSON.
func (rs *runState) encode() ([]byte, error) {
	status := rs.status()
	if len(rs.groupJSON) != len(status.Stages) {
		rs.groupJSON = make([][][]byte, len(status.Stages))
	}
	var b bytes.Buffer
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("error encoding update run %s: %w", rs.run.ID, err)
	}
	// The run without its status: its properties end with
	// managedClusterUpdate, so the document ends with "}}" and the
	// status goes in before them, where json.Marshal puts it.
	bare := *rs.run
	bare.Properties.Status = nil
	head, err := json.Marshal(&bare)
	if err != nil {
		return fail(err)
	}
	b.Grow(len(head) + rs.lastSize)
	b.Write(head[:len(head)-2])
	b.WriteString(`,"status":{"status":`)
	if err := writeJSON(&b, &status.Status); err != nil {
		return fail(err)
	}
	if status.FailureCount != 0 {
		fmt.Fprintf(&b, `,"failureCount":%d`, status.FailureCount)
	}
	if status.Message != "" {
		b.WriteString(`,"message":`)
		if err := writeJSON(&b, status.Message); err != nil {
			return fail(err)
		}
	}
	b.WriteString(`,"stages":`)
	if status.Stages == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('[')
		for si := range status.Stages {
			if si > 0 {
				b.WriteByte(',')
			}
			if err := rs.encodeStage(&b, si); err != nil {
				return fail(err)
			}
		}
		b.WriteByte(']')
	}
	if status.NodeImageSelection != nil {
		b.WriteString(`,"nodeImageSelection":`)
		if err := writeJSON(&b, status.NodeImageSelection); err != nil {
			return fail(err)
		}
	}
	b.WriteString("}}}")
	out := b.Bytes()
	rs.lastSize = len(out)
	if checkEncoding {
		want, err := json.Marshal(rs.run)
		if err != nil || !bytes.Equal(out, want) {
			panic(fmt.Sprintf("engine: the cached encoding of update run %s differs from json.Marshal (error %v):\n got %s\nwant %s", rs.run.ID, err, out, want))
		}
	}
	return out, nil
}

// encodeStage writes stage si as json.Marshal does (the fields of
// fleet.StageStatus in order), with its groups from the cache.
func (rs *runState) encodeStage(b *bytes.Buffer, si int) error {
	st := rs.stage(si)
	cache := rs.groupJSON[si]
	if len(cache) != len(st.Groups) {
		cache = make([][]byte, len(st.Groups))
		rs.groupJSON[si] = cache
	}
	b.WriteString(`{"name":`)
	if err := writeJSON(b, st.Name); err != nil {
		return err
	}
	b.WriteString(`,"status":`)
	if err := writeJSON(b, &st.Status); err != nil {
		return err
	}
	if st.FailureCount != 0 {
		fmt.Fprintf(b, `,"failureCount":%d`, st.FailureCount)
	}
	if st.MaxConcurrency != 0 {
		b.WriteString(`,"maxConcurrency":` + strconv.Itoa(st.MaxConcurrency))
	}
	b.WriteString(`,"groups":`)
	if st.Groups == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('[')
		for gi := range st.Groups {
			if gi > 0 {
				b.WriteByte(',')
			}
			if cache[gi] == nil {
				g, err := json.Marshal(&st.Groups[gi])
				if err != nil {
					return err
				}
				cache[gi] = g
			}
			b.Write(cache[gi])
		}
		b.WriteByte(']')
	}
	if len(st.BeforeGates) > 0 {
		b.WriteString(`,"beforeGates":`)
		if err := writeJSON(b, st.BeforeGates); err != nil {
			return err
		}
	}
	if len(st.AfterGates) > 0 {
		b.WriteString(`,"afterGates":`)
		if err := writeJSON(b, st.AfterGates); err != nil {
			return err
		}
	}
	if st.AfterStageWaitStatus != nil {
		b.WriteString(`,"afterStageWaitStatus":`)
		if err := writeJSON(b, st.AfterStageWaitStatus); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}

// sameStatus reports whether a status node is as it was: the same state,
// and the same times and error (deriving sets new ones when they change).
func sameStatus(a, b fleet.UpdateStatus) bool {
	return a.State == b.State && a.StartTime == b.StartTime && a.CompletedTime == b.CompletedTime && a.Error == b.Error
}
