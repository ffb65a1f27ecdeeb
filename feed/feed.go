package feed

import (
	"context"
	"strings"
	"sync"
)

// DefaultBuffer is how many unread changes a subscription holds unless its
// Filter says otherwise.
const DefaultBuffer = 1024

// Feed fans changes out to subscribers. The zero value is not usable;
// create one with New. A nil *Feed drops what is published to it.
type Feed struct {
	mu   sync.Mutex
	seq  uint64
	subs map[*Subscription]struct{}
	// etags holds the ETag of each run's last write the feed was told
	// of, by canonical run id; written is closed and replaced when one
	// changes.
	etags   map[string]string
	written chan struct{}
}

// New returns an empty feed.
func New() *Feed {
	return &Feed{subs: map[*Subscription]struct{}{}, etags: map[string]string{}, written: make(chan struct{})}
}

// Filter chooses the changes a subscription receives. Empty fields match
// everything; ids compare case-insensitively, as ARM's do.
type Filter struct {
	RunID   string
	FleetID string
	// Buffer is how many unread changes the subscription holds before
	// it is told to resync (default DefaultBuffer).
	Buffer int
}

func (f Filter) match(c Change) bool {
	return (f.RunID == "" || strings.EqualFold(trim(f.RunID), trim(c.RunID))) &&
		(f.FleetID == "" || strings.EqualFold(trim(f.FleetID), trim(c.FleetID)))
}

func trim(id string) string { return strings.TrimRight(id, "/") }

// Publish numbers the changes and hands them to every matching
// subscription. It never blocks on a subscriber.
func (f *Feed) Publish(changes ...Change) {
	if f == nil || len(changes) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publish(changes)
}

// Wrote publishes the changes a write of a run made (none is fine) and
// records the ETag the write gave the run, for WaitWritten.
func (f *Feed) Wrote(runID, etag string, changes ...Change) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publish(changes)
	if f.setETag(canonical(runID), etag) {
		f.wake()
	}
}

// WaitWritten waits until the write that gave a run etag has been
// published, so that what a caller publishes next comes after it. It
// returns at once when the feed knows nothing of the run (no writer has
// told it of one since the server started), and when ctx ends.
func (f *Feed) WaitWritten(ctx context.Context, runID, etag string) {
	if f == nil {
		return
	}
	id := canonical(runID)
	for {
		f.mu.Lock()
		got, known := f.etags[id]
		ch := f.written
		f.mu.Unlock()
		if !known || got == etag {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

func canonical(id string) string { return strings.ToLower(trim(id)) }

// setETag records a run's ETag (none: forget the run) and reports
// whether it changed.
func (f *Feed) setETag(run, etag string) bool {
	old, known := f.etags[run]
	if etag == "" {
		delete(f.etags, run)
		return known
	}
	f.etags[run] = etag
	return old != etag
}

// wake tells WaitWritten that an ETag changed.
func (f *Feed) wake() {
	close(f.written)
	f.written = make(chan struct{})
}

// publish numbers and hands out changes; called with f.mu held.
func (f *Feed) publish(changes []Change) {
	woke := false
	defer func() {
		if woke {
			f.wake()
		}
	}()
	for i := range changes {
		if c := changes[i]; c.RunID != "" && (c.ETag != "" || c.New == Deleted) {
			woke = f.setETag(canonical(c.RunID), c.ETag) || woke
		}
		f.seq++
		changes[i].Seq = f.seq
		for s := range f.subs {
			if s.filter.match(changes[i]) {
				s.add(changes[i])
			}
		}
	}
}

// Seq is the number of the last change published.
func (f *Feed) Seq() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// Subscription receives changes on C, in the order they were published,
// until its context ends; then C is closed. A change of kind Resync on C
// means the subscriber fell behind and changes were lost, up to and
// including the one numbered by the marker's Seq.
type Subscription struct {
	C <-chan Change

	feed   *Feed
	filter Filter
	mu     sync.Mutex
	queue  []Change
	wake   chan struct{}
}

// Subscribe starts a subscription that lasts until ctx ends.
func (f *Feed) Subscribe(ctx context.Context, filter Filter) *Subscription {
	if filter.Buffer <= 0 {
		filter.Buffer = DefaultBuffer
	}
	out := make(chan Change)
	s := &Subscription{C: out, feed: f, filter: filter, wake: make(chan struct{}, 1)}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	go s.pump(ctx, out)
	return s
}

// add queues a change; called with the feed's lock held.
func (s *Subscription) add(c Change) {
	s.mu.Lock()
	if len(s.queue) >= s.filter.Buffer {
		// Behind: what is queued is worthless without what is lost.
		s.queue = append(s.queue[:0], Change{Kind: KindResync, Seq: c.Seq, Time: c.Time})
	} else {
		s.queue = append(s.queue, c)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) pump(ctx context.Context, out chan<- Change) {
	defer close(out)
	defer func() {
		s.feed.mu.Lock()
		delete(s.feed.subs, s)
		s.feed.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			batch := s.queue
			s.queue = nil
			s.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, c := range batch {
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}
