// Package expheap is the eviction schedule of a map whose entries expire:
// a binary min-heap of (time, key) pairs. Entries may be stale (the key was
// removed or rescheduled since); the owner checks each one it pops.
package expheap

// Heap is a binary min-heap of items by At. The zero value is empty.
type Heap[K comparable] []Item[K]

// Item is one scheduled key.
type Item[K comparable] struct {
	At  int64 // unix nanoseconds
	Key K
}

// Push schedules key at at.
func (h *Heap[K]) Push(at int64, key K) {
	*h = append(*h, Item[K]{at, key})
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].At <= s[i].At {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// Pop removes and returns the earliest item; the heap must not be empty.
func (h *Heap[K]) Pop() Item[K] {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	var zero Item[K]
	s[n] = zero
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].At < s[l].At {
			m = r
		}
		if s[i].At <= s[m].At {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// Next is the earliest time scheduled; the heap must not be empty.
func (h Heap[K]) Next() int64 { return h[0].At }
