package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// runTree is a record kept in parts as the engine keeps a run: a head
// with a reference to its stages, stages with references to their groups,
// groups with references to their members.
type runTree struct {
	head  []byte
	parts map[string][]byte
}

func newRunTree(stages, groups, members, pad int) *runTree {
	t := &runTree{parts: map[string][]byte{}}
	t.head = append(append([]byte(`{"name":"r","etag":"0","stages":`), PartsRef("s")...), '}')
	for s := range stages {
		sk := fmt.Sprintf("s/%06d", s)
		t.parts[sk] = append(append([]byte(`{"n":`+fmt.Sprint(s)+`,"groups":`), PartsRef(sk+"/g")...), '}')
		for g := range groups {
			gk := fmt.Sprintf("%s/g/%06d", sk, g)
			t.parts[gk] = append(append([]byte(`{"state":"NotStarted","members":`), PartsRef(gk+"/m")...), '}')
			for m := range members {
				t.parts[fmt.Sprintf("%s/m/%06d", gk, m)] = []byte(fmt.Sprintf(`{"m":%d,"state":"NotStarted","pad":%q}`, m, bytes.Repeat([]byte{'x'}, pad)))
			}
		}
	}
	return t
}

func (t *runTree) sorted() []Part {
	var ps []Part
	for k, b := range t.parts {
		ps = append(ps, Part{Key: k, Body: b})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

// The documents the cache assembles, write after write (changed parts,
// new parts, parts out of order, a reset), are those Assemble makes of
// everything written; a read at another ETag, or of a record whose stored
// body is not the one written, misses.
func TestPartsCacheAssemblesWhatAssembleDoes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tree := newRunTree(3, 4, 5, 0)
	var c PartsCache
	parts := tree.sorted()
	rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: "e0", Body: tree.head}, Parts: parts, Reset: true}, "")
	etag := "e0"
	check := func(step int) {
		t.Helper()
		want, err := Assemble(tree.head, tree.sorted())
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a second read assembles the same document again
			got, ok, err := c.Assemble("r", etag, tree.head)
			if !ok || err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after write %d the cache assembles (%v, %v)\n%s\nwant\n%s", step, ok, err, got, want)
			}
		}
	}
	check(0)
	for step := 1; step <= 300; step++ {
		var w []Part
		for range 1 + rng.IntN(4) {
			s, g := rng.IntN(4), rng.IntN(5)
			sk := fmt.Sprintf("s/%06d", s)
			gk := fmt.Sprintf("%s/g/%06d", sk, g)
			switch rng.IntN(5) {
			case 0: // a group's state, keeping its reference
				w = append(w, Part{Key: gk, Body: append(append([]byte(fmt.Sprintf(`{"state":"S%d","members":`, step)), PartsRef(gk+"/m")...), '}')})
			case 1: // a stage that is new, or changed
				w = append(w, Part{Key: sk, Body: append(append([]byte(fmt.Sprintf(`{"n":%d,"groups":`, step)), PartsRef(sk+"/g")...), '}')})
			default: // a member, new or changed
				w = append(w, Part{Key: fmt.Sprintf("%s/m/%06d", gk, rng.IntN(7)), Body: []byte(fmt.Sprintf(`{"step":%d}`, step))})
			}
		}
		next := fmt.Sprintf("e%d", step)
		tree.head = append(append([]byte(fmt.Sprintf(`{"name":"r","etag":%q,"stages":`, next)), PartsRef("s")...), '}')
		for _, p := range w {
			tree.parts[p.Key] = p.Body
		}
		c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: next, Body: tree.head}, Parts: w}, etag)
		if _, ok, _ := c.Assemble("r", etag, tree.head); ok {
			t.Fatalf("after write %d the cache serves the ETag it replaced", step)
		}
		etag = next
		if step%7 != 0 { // some writes are never read
			check(step)
		}
	}
	if _, ok, _ := c.Assemble("r", etag, []byte(`{"name":"r"}`)); ok {
		t.Error("the cache serves a record whose stored body differs from the one written")
	}
	// A write that does not follow the ETag kept drops what is kept.
	c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: "x2", Body: tree.head}}, "x1")
	if _, ok, _ := c.Assemble("r", "x2", tree.head); ok {
		t.Error("the cache serves a record written over an ETag it did not keep")
	}
}

// Parts that do not assemble are errors, as Assemble's, or not kept.
func TestPartsCacheRefusesWhatAssembleRefuses(t *testing.T) {
	var c PartsCache
	head := append(append([]byte(`{"a":`), PartsRef("a")...), '}')
	c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: "e1", Body: head}, Parts: []Part{{Key: "a/0", Body: []byte(`"\/parts\/b`)}}, Reset: true}, "")
	if _, ok, _ := c.Assemble("r", "e1", head); ok {
		t.Error("parts with a reference that is not closed were kept")
	}
	// Parts nested 17 deep.
	var parts []Part
	key := "a"
	for range 17 {
		parts = append(parts, Part{Key: key + "/0", Body: PartsRef(key + "/0/x")})
		key += "/0/x"
	}
	c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: "e2", Body: head}, Parts: parts, Reset: true}, "")
	_, want := Assemble(head, parts)
	if _, ok, err := c.Assemble("r", "e2", head); !ok || err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("parts nested too deep assembled with error %v; Assemble's is %v", err, want)
	}
}

func TestPartsCacheHoldsBoundedBytes(t *testing.T) {
	var c PartsCache
	tree := newRunTree(10, 10, 10, 1000) // about 2 MB kept
	parts := tree.sorted()
	for i := range 80 {
		id := fmt.Sprint(i)
		c.Wrote(PartedWrite{Record: Record{ID: id, ETag: "e", Body: tree.head}, Parts: parts, Reset: true}, "")
		if _, ok, err := c.Assemble(id, "e", tree.head); !ok || err != nil {
			t.Fatalf("record %d, just written, is not assembled from the cache (%v)", i, err)
		}
		if c.size > assembledCacheBytes {
			t.Fatalf("after %d records the cache holds %d bytes; the bound is %d", i+1, c.size, assembledCacheBytes)
		}
	}
	sum := 0
	for _, e := range c.entries {
		sum += e.size
	}
	if sum != c.size {
		t.Errorf("the entries hold %d bytes; the cache counts %d", sum, c.size)
	}
}

// BenchmarkAssemble is what BenchmarkPartsCacheAssemble saves: assembling
// the same document from its parts every time.
func BenchmarkAssemble(b *testing.B) {
	tree := newRunTree(10, 50, 20, 250)
	parts := tree.sorted()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assemble(tree.head, parts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPartsCacheAssemble(b *testing.B) {
	tree := newRunTree(10, 50, 20, 250) // 10,000 members, about 3 MB
	var c PartsCache
	c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: "e0", Body: tree.head}, Parts: tree.sorted(), Reset: true}, "")
	etag := "e0"
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		next := fmt.Sprint("e", i+1)
		key := fmt.Sprintf("s/%06d/g/%06d/m/%06d", i%10, i%50, i%20)
		c.Wrote(PartedWrite{Record: Record{ID: "r", ETag: next, Body: tree.head}, Parts: []Part{{Key: key, Body: []byte(fmt.Sprintf(`{"i":%d}`, i))}}}, etag)
		etag = next
		if _, ok, err := c.Assemble("r", etag, tree.head); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
