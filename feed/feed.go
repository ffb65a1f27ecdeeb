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
}

// New returns an empty feed.
func New() *Feed { return &Feed{subs: map[*Subscription]struct{}{}} }

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
	for i := range changes {
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
