package engine

import (
	"bytes"
	"encoding/json"
	"fmt"

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
	if rs.feedGroups == nil {
		rs.feedGroups = map[[2]int]bool{}
	}
	rs.feedGroups[[2]int{si, gi}] = true
}

// touchMember marks member k as changed, and its group with it.
func (rs *runState) touchMember(k mkey) {
	rs.touchGroup(k.s, k.g)
	rs.parts.markMember(k)
	rs.memberChanged(k)
}

// touchAll marks every group as changed.
func (rs *runState) touchAll() {
	rs.groupJSON = nil
	rs.parts.all = true
	rs.sums = nil
	rs.feedAll = true
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
	head, err := rs.head()
	if err != nil {
		return fail(err)
	}
	b.Grow(len(head) + rs.lastSize)
	b.Write(head[:len(head)-2])
	b.WriteString(`,"status":`)
	summary := *status
	summary.Stages = nil
	err = spliceChildren(&b, &summary, `"stages":null`, status.Stages != nil, func(b *bytes.Buffer) error {
		b.WriteByte('[')
		for si := range status.Stages {
			if si > 0 {
				b.WriteByte(',')
			}
			if err := rs.encodeStage(b, si); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	})
	if err != nil {
		return fail(err)
	}
	b.WriteString("}}")
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

// encodeStage writes stage si as json.Marshal does, with its groups from
// the cache.
func (rs *runState) encodeStage(b *bytes.Buffer, si int) error {
	st := rs.stage(si)
	cache := rs.groupJSON[si]
	if len(cache) != len(st.Groups) {
		cache = make([][]byte, len(st.Groups))
		rs.groupJSON[si] = cache
	}
	bare := *st
	bare.Groups = nil
	return spliceChildren(b, &bare, `"groups":null`, st.Groups != nil, func(b *bytes.Buffer) error {
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
		return nil
	})
}

// spliceChildren writes v, a node of a run's status encoded with its
// children left out (so null under key), to b; when the node has
// children, children writes them in that place. A JSON string never
// holds an unescaped quote, so key matches only the key itself, and each
// node type has one such key. Every other field comes from json.Marshal,
// so a field added to a node needs no change here.
func spliceChildren(b *bytes.Buffer, v any, key string, has bool, children func(*bytes.Buffer) error) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !has {
		b.Write(out)
		return nil
	}
	i := bytes.Index(out, []byte(key))
	if i < 0 {
		return fmt.Errorf("no %s in %s", key, out)
	}
	b.Write(out[:i])
	b.WriteString(key[:len(key)-len("null")])
	if err := children(b); err != nil {
		return err
	}
	b.Write(out[i+len(key):])
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

// head is the run without its status as json.Marshal makes it. Only the
// ETag of that part changes while the engine drives the run, so it is
// encoded once, around a placeholder for the ETag, and the ETag is put in
// its place at each write (the strategy of a large run is many groups).
func (rs *runState) head() ([]byte, error) {
	etag := rs.run.ETag
	if etag == "" || rs.headAround[0] == nil {
		bare := *rs.run
		bare.Properties.Status = nil
		if etag == "" {
			return json.Marshal(&bare)
		}
		bare.ETag = headPlaceholder
		b, err := json.Marshal(&bare)
		if err != nil {
			return nil, err
		}
		ph, _ := json.Marshal(headPlaceholder)
		i := bytes.Index(b, ph)
		if i < 0 || bytes.Index(b[i+1:], ph) >= 0 {
			bare.ETag = etag
			return json.Marshal(&bare)
		}
		rs.headAround = [2][]byte{b[:i], b[i+len(ph):]}
	}
	e, err := json.Marshal(etag)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(rs.headAround[0])+len(e)+len(rs.headAround[1]))
	out = append(append(append(out, rs.headAround[0]...), e...), rs.headAround[1]...)
	return out, nil
}

// headPlaceholder stands for the ETag in the encoding head keeps.
const headPlaceholder = "\x00etag-placeholder\x00"
