package expheap

import "iter"

// Map is a map whose entries are forgotten at their own time: each key
// has a value and a forget time (unix nanoseconds), and Evict forgets the
// entries whose time has come. With a bound, a new key in a full map first
// forgets the entry closest to being forgotten. It is not safe for
// concurrent use: its owner's lock guards it. The zero value is not
// usable; NewMap makes one.
type Map[K comparable, V any] struct {
	max     int
	entries map[K]entry[V]
	heap    Heap[K] // by forget time; items may be stale (key rescheduled or forgotten)
}

type entry[V any] struct {
	v      V
	forget int64
}

// NewMap returns an empty Map of at most max entries (max <= 0: no bound).
func NewMap[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{max: max, entries: map[K]entry[V]{}}
}

// Get returns k's value and forget time, and whether k is there (an entry
// past its time is there until Evict forgets it).
func (m *Map[K, V]) Get(k K) (v V, forget int64, ok bool) {
	e, ok := m.entries[k]
	return e.v, e.forget, ok
}

// Set gives k the value v and the forget time forget. A new key in a full
// map first forgets the entry closest to being forgotten.
func (m *Map[K, V]) Set(k K, v V, forget int64) {
	e, ok := m.entries[k]
	if !ok {
		for m.max > 0 && len(m.entries) >= m.max && len(m.heap) > 0 {
			it := m.heap.Pop()
			if cur, ok := m.entries[it.Key]; ok && cur.forget == it.At {
				delete(m.entries, it.Key)
			}
		}
	}
	if !ok || e.forget != forget {
		m.heap.Push(forget, k)
	}
	m.entries[k] = entry[V]{v: v, forget: forget}
}

// Evict forgets the entries whose forget time is at or before now.
func (m *Map[K, V]) Evict(now int64) {
	for len(m.heap) > 0 && m.heap.Next() <= now {
		it := m.heap.Pop()
		if cur, ok := m.entries[it.Key]; ok && cur.forget <= now {
			delete(m.entries, it.Key)
		}
	}
	// Stale items (keys rescheduled) are dropped as their time comes; if
	// they pile up, rebuild.
	if len(m.heap) > 2*len(m.entries)+1024 {
		m.heap = m.heap[:0]
		for k, e := range m.entries {
			m.heap.Push(e.forget, k)
		}
	}
}

// Next returns the earliest forget time scheduled (an entry's, or a stale
// item's no later than any entry's), and false when nothing is.
func (m *Map[K, V]) Next() (int64, bool) {
	if len(m.heap) == 0 {
		return 0, false
	}
	return m.heap.Next(), true
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int { return len(m.entries) }

// All yields every key and value, in no order; the loop may Set the key
// it is given.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, e := range m.entries {
			if !yield(k, e.v) {
				return
			}
		}
	}
}
