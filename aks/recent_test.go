package aks

import (
	"testing"
	"time"
)

func TestRecentReads(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	read := func() *observation { return &observation{etag: `"1"`} }

	r := newRecentReads(2*time.Second, clock)
	obs := read()
	r.remember("a", obs, now)
	if got := r.take("a"); got != obs {
		t.Fatalf("take after remember = %v, want the read", got)
	}
	if got := r.take("a"); got != nil {
		t.Errorf("a read was taken twice")
	}

	r.remember("b", read(), now)
	now = now.Add(2*time.Second + time.Millisecond)
	if got := r.take("b"); got != nil {
		t.Errorf("a read older than the TTL was taken")
	}

	// A read that began before a write began is not kept.
	readAt := now
	now = now.Add(time.Millisecond)
	r.writing("c")
	now = now.Add(time.Millisecond)
	r.remember("c", read(), readAt)
	if got := r.take("c"); got != nil {
		t.Errorf("a read that began before a write was kept")
	}
	// One that began after it is.
	r.remember("c", read(), now)
	if got := r.take("c"); got == nil {
		t.Errorf("a read that began after the write was not kept")
	}
	// A write drops a kept read.
	r.remember("d", read(), now)
	r.writing("d")
	if got := r.take("d"); got != nil {
		t.Errorf("a read kept across a write was taken")
	}
	// An older read does not replace a newer one.
	newer := read()
	r.remember("e", newer, now)
	r.remember("e", read(), now.Add(-time.Millisecond))
	if got := r.take("e"); got != newer {
		t.Errorf("an older read replaced a newer one")
	}
	// A read without an eTag cannot be the base of a conditional write.
	r.remember("f", &observation{}, now)
	if got := r.take("f"); got != nil {
		t.Errorf("a read without an eTag was kept")
	}

	off := newRecentReads(-1, clock)
	off.remember("a", read(), now)
	if got := off.take("a"); got != nil {
		t.Errorf("reuse turned off still kept a read")
	}
}

func TestRecentReadsAreBounded(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	r := newRecentReads(2*time.Second, func() time.Time { return now })
	for i := range maxRecentReads + 10 {
		r.remember(string(rune('a'+i%26))+time.Duration(i).String(), &observation{etag: `"1"`}, now)
	}
	if r.kept != maxRecentReads || len(r.entries) != maxRecentReads {
		t.Errorf("kept %d reads in %d entries, want at most %d", r.kept, len(r.entries), maxRecentReads)
	}
	now = now.Add(3 * time.Second)
	r.writing("x")
	if r.kept != 0 || len(r.entries) != 1 {
		t.Errorf("after the TTL: %d reads kept in %d entries, want none and the write's mark", r.kept, len(r.entries))
	}
}
