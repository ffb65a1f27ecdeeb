package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"sort"

	"github.com/caravan-dev/caravan/store"
)

// On a store that keeps records in parts (store.PartStore) the engine
// writes a run as its summary (the run without its stages), one part per
// stage, per group and per member, and after a transition only the parts
// whose JSON changed: a member's transition writes that member, its group
// and stage when their status moved, and the summary, whatever the size
// of the fleet. The store assembles the parts into the document that
// json.Marshal makes of the run.
//
// Keys are "s/SSSSSS" for a stage, "s/SSSSSS/g/GGGGGG" for a group and
// "s/SSSSSS/g/GGGGGG/m/MMMMMM" for a member, numbered with six digits so
// that byte order is tree order.

// partsState is what the engine knows of the parts stored.
type partsState struct {
	// written holds the SHA-256 of each part's JSON as last stored, which
	// tells a part that changed from one that did not without keeping a
	// second copy of the run's JSON beside the store's; nil until the run
	// is first written in parts (which then resets its parts).
	written map[string]partSum
	// bodies holds each part's JSON as last stored, with checkEncoding
	// only (see checkParts).
	bodies map[string][]byte
	// dirty holds the groups changed since the last write (see
	// touchGroup); all marks them all (touchAll).
	dirty map[[2]int]bool
	all   bool
	// members holds the members changed since the last write (see
	// touchMember).
	members map[mkey]bool
}

// partedWrite is a write of the run in parts and what it changes in the
// engine's record of the stored parts once it succeeds.
type partedWrite struct {
	w     store.PartedWrite
	bytes int
}

func stageKey(si int) string          { return fmt.Sprintf("s/%06d", si) }
func groupKey(si, gi int) string      { return fmt.Sprintf("s/%06d/g/%06d", si, gi) }
func memberKey(si, gi, mi int) string { return fmt.Sprintf("s/%06d/g/%06d/m/%06d", si, gi, mi) }

// markGroup records that group gi of stage si changed.
func (p *partsState) markGroup(si, gi int) {
	if p.dirty == nil {
		p.dirty = map[[2]int]bool{}
	}
	p.dirty[[2]int{si, gi}] = true
}

// markMember records that member k changed.
func (p *partsState) markMember(k mkey) {
	if p.members == nil {
		p.members = map[mkey]bool{}
	}
	p.members[k] = true
}

// encodeParts returns the write of the run in parts: the summary and the
// parts that differ from those stored.
func (rs *runState) encodeParts(rec store.Record) (partedWrite, error) {
	p := &rs.parts
	if p.all && p.written != nil {
		// Parts of a tree that shrank would stay behind: write it afresh.
		return rs.encodePartsReset(rec)
	}
	reset := p.written == nil
	status := rs.status()
	fail := func(err error) (partedWrite, error) {
		return partedWrite{}, fmt.Errorf("error encoding update run %s: %w", rs.run.ID, err)
	}
	var parts []store.Part
	size := 0
	emit := func(key string, body []byte) {
		if !reset {
			if sum, ok := p.written[key]; ok && sum == sumOf(body) {
				return
			}
		}
		parts = append(parts, store.Part{Key: key, Body: body})
		size += len(key) + len(body)
	}

	// The summary: the run as json.Marshal lays it out (its status last),
	// with a reference to the stages' parts where the stages go.
	head, err := rs.head()
	if err != nil {
		return fail(err)
	}
	summary := *status
	summary.Stages = nil
	sj, err := withRef(&summary, status.Stages != nil, `"stages":null`, "s")
	if err != nil {
		return fail(err)
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-2])
	b.WriteString(`,"status":`)
	b.Write(sj)
	b.WriteString("}}")

	for si := range status.Stages {
		st := rs.stage(si)
		bareStage := *st
		bareStage.Groups = nil
		sb, err := withRef(&bareStage, st.Groups != nil, `"groups":null`, stageKey(si)+"/g")
		if err != nil {
			return fail(err)
		}
		emit(stageKey(si), sb)
		for gi := range st.Groups {
			if !reset && !p.all && !p.dirty[[2]int{si, gi}] {
				continue
			}
			g := &st.Groups[gi]
			bareGroup := *g
			bareGroup.Members = nil
			gb, err := withRef(&bareGroup, g.Members != nil, `"members":null`, groupKey(si, gi)+"/m")
			if err != nil {
				return fail(err)
			}
			emit(groupKey(si, gi), gb)
			if reset || p.all {
				for mi := range g.Members {
					m, err := json.Marshal(&g.Members[mi])
					if err != nil {
						return fail(err)
					}
					emit(memberKey(si, gi, mi), m)
				}
			}
		}
	}
	if !reset && !p.all {
		for k := range p.members {
			m, err := json.Marshal(rs.member(k))
			if err != nil {
				return fail(err)
			}
			emit(memberKey(k.s, k.g, k.m), m)
		}
	}
	rec.Body = b.Bytes()
	size += len(rec.Body)
	return partedWrite{w: store.PartedWrite{Record: rec, Parts: parts, Reset: reset}, bytes: size}, nil
}

// withRef encodes v, a node of the run's status with its children left
// out, with a reference to the children's parts (under prefix) in their
// place when it has children.
func withRef(v any, children bool, key, prefix string) ([]byte, error) {
	var b bytes.Buffer
	err := spliceChildren(&b, v, key, children, func(b *bytes.Buffer) error {
		b.Write(store.PartsRef(prefix))
		return nil
	})
	return b.Bytes(), err
}

// encodePartsReset writes every part, dropping those stored.
func (rs *runState) encodePartsReset(rec store.Record) (partedWrite, error) {
	saved := rs.parts
	rs.parts = partsState{}
	pw, err := rs.encodeParts(rec)
	rs.parts = saved
	return pw, err
}

// partSum is the SHA-256 of a part's JSON.
type partSum [sha256.Size]byte

func sumOf(body []byte) partSum { return sha256.Sum256(body) }

// wrote records that a write in parts succeeded.
func (rs *runState) wrote(pw partedWrite) {
	p := &rs.parts
	if pw.w.Reset || p.written == nil {
		p.written = make(map[string]partSum, len(pw.w.Parts))
		p.bodies = nil
	}
	for _, part := range pw.w.Parts {
		p.written[part.Key] = sumOf(part.Body)
	}
	if checkEncoding {
		if p.bodies == nil {
			p.bodies = make(map[string][]byte, len(pw.w.Parts))
		}
		for _, part := range pw.w.Parts {
			p.bodies[part.Key] = part.Body
		}
	}
	p.dirty = nil
	p.members = nil
	p.all = false
}

// checkParts compares the document the parts assemble into with
// json.Marshal's (with checkEncoding, in the engine's tests).
func (rs *runState) checkParts(pw partedWrite) {
	if !checkEncoding {
		return
	}
	all := maps.Clone(rs.parts.bodies)
	if pw.w.Reset || all == nil {
		all = map[string][]byte{}
	}
	for _, part := range pw.w.Parts {
		all[part.Key] = part.Body
	}
	parts := make([]store.Part, 0, len(all))
	for k, v := range all {
		parts = append(parts, store.Part{Key: k, Body: v})
	}
	sortParts(parts)
	got, err := store.Assemble(pw.w.Record.Body, parts)
	want, err2 := json.Marshal(rs.run)
	if err != nil || err2 != nil || !bytes.Equal(got, want) {
		panic(fmt.Sprintf("engine: update run %s in parts assembles differently from json.Marshal (errors %v, %v):\n got %s\nwant %s", rs.run.ID, err, err2, got, want))
	}
}

func sortParts(parts []store.Part) {
	sort.Slice(parts, func(i, j int) bool { return parts[i].Key < parts[j].Key })
}
