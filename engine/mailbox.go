package engine

import "sync"

// mailbox is an unbounded queue of events for one runner: posting never
// blocks, so providers and timers can report from any goroutine.
type mailbox struct {
	mu     sync.Mutex
	items  []any
	signal chan struct{}
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

// post queues events; those posted together are drained together.
func (b *mailbox) post(evs ...any) {
	if len(evs) == 0 {
		return
	}
	b.mu.Lock()
	b.items = append(b.items, evs...)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

func (b *mailbox) drain() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.items
	b.items = nil
	return out
}

func (b *mailbox) empty() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items) == 0
}
