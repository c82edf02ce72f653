package fault

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
)

// Queue holds planted faults in the order they were queued. Take matches
// without holding the lock: it reads an immutable snapshot of the queue, so
// an API call never waits on another call's matching, and matching costs
// time linear in the path and the patterns. The zero value is an empty
// queue, safe for concurrent use.
type Queue struct {
	mu   sync.Mutex                // serialises writers of list
	list atomic.Pointer[[]*queued] // immutable snapshot; nil is empty
}

type queued struct {
	f    Fault
	path glob
	left atomic.Int64
}

// Listed is a queued fault with the requests it has left.
type Listed struct {
	Fault
	Left int64
}

// MarshalJSON writes the fault's keys and "left".
func (l Listed) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		wire
		Left int64 `json:"left"`
	}{l.Fault.wire(), l.Left})
}

// Add queues faults, each for its Count (zero: 1) matching requests. They
// must have been checked (Fault.Check).
func (q *Queue) Add(fs ...Fault) {
	q.mu.Lock()
	defer q.mu.Unlock()
	next := append([]*queued(nil), q.snapshot()...) // snapshots are never changed
	for _, f := range fs {
		if f.Count == 0 {
			f.Count = 1
		}
		e := &queued{f: f, path: compileGlob(f.Path)}
		e.left.Store(int64(f.Count))
		next = append(next, e)
	}
	q.list.Store(&next)
}

// Clear forgets every queued fault.
func (q *Queue) Clear() {
	q.mu.Lock()
	q.list.Store(nil)
	q.mu.Unlock()
}

// ClearClient forgets the faults scoped to client.
func (q *Queue) ClearClient(client string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	snap := q.snapshot()
	next := make([]*queued, 0, len(snap))
	for _, e := range snap {
		if e.f.Client != client {
			next = append(next, e)
		}
	}
	q.list.Store(&next)
}

func (q *Queue) snapshot() []*queued {
	if p := q.list.Load(); p != nil {
		return *p
	}
	return nil
}

// Len is the number of queued faults, cheaply (one atomic load).
func (q *Queue) Len() int { return len(q.snapshot()) }

// List returns the queued faults that have requests left, in order.
func (q *Queue) List() []Listed {
	snap := q.snapshot()
	out := make([]Listed, 0, len(snap))
	for _, e := range snap {
		if n := e.left.Load(); n > 0 {
			out = append(out, Listed{Fault: e.f, Left: n})
		}
	}
	return out
}

// Take returns the first queued unscoped fault that matches method and
// path and uses one of its requests; a fault with none left is removed.
func (q *Queue) Take(method, path string) (Fault, bool) { return q.TakeFor(method, path, "") }

// TakeFor is Take for a request of client: it takes only faults whose
// Client is client ("" before the client is known: unscoped faults only).
func (q *Queue) TakeFor(method, path, client string) (Fault, bool) {
	for _, e := range q.snapshot() {
		if e.f.Client != client || !e.matches(method, path) {
			continue
		}
		n := e.left.Add(-1)
		if n < 0 { // used up by another request meanwhile
			continue
		}
		if n == 0 {
			q.remove(e)
		}
		return e.f, true
	}
	return Fault{}, false
}

func (e *queued) matches(method, path string) bool {
	m := e.f.Method
	return (m == "" || m == "*" || strings.EqualFold(m, method)) && e.path.match(path)
}

func (q *Queue) remove(e *queued) {
	q.mu.Lock()
	defer q.mu.Unlock()
	snap := q.snapshot()
	next := make([]*queued, 0, len(snap))
	for _, x := range snap {
		if x != e {
			next = append(next, x)
		}
	}
	q.list.Store(&next)
}
