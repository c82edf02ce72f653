package expheap

import (
	"fmt"
	"maps"
	"testing"
)

func TestMap_EvictForgetsAtTheirTime(t *testing.T) {
	m := NewMap[string, int](0)
	m.Set("a", 1, 10)
	m.Set("b", 2, 20)
	m.Set("c", 3, 30)
	m.Evict(20)
	if _, _, ok := m.Get("b"); ok || m.Len() != 1 {
		t.Fatalf("after Evict(20): b there %v, len %d; want b forgotten, len 1", ok, m.Len())
	}
	if v, f, ok := m.Get("c"); !ok || v != 3 || f != 30 {
		t.Fatalf("Get(c) = %d, %d, %v; want 3, 30, true", v, f, ok)
	}
}

// A key given a later time is kept until then; the stale item of its old
// time forgets nothing.
func TestMap_Reschedule(t *testing.T) {
	m := NewMap[string, int](0)
	m.Set("a", 1, 10)
	m.Set("a", 2, 50)
	m.Evict(10)
	if v, f, ok := m.Get("a"); !ok || v != 2 || f != 50 {
		t.Fatalf("Get(a) after Evict(10) = %d, %d, %v; want 2, 50, true", v, f, ok)
	}
	m.Set("a", 3, 5) // earlier: forgotten at 5
	m.Evict(5)
	if _, _, ok := m.Get("a"); ok {
		t.Fatal("a rescheduled to 5 is there after Evict(5)")
	}
}

// A new key in a full map forgets the entry closest to being forgotten; an
// existing key's change forgets nothing.
func TestMap_Bound(t *testing.T) {
	m := NewMap[string, int](2)
	m.Set("late", 1, 100)
	m.Set("early", 2, 10)
	m.Set("early", 3, 20) // rescheduled: its stale item (10) must not count
	m.Set("new", 4, 50)
	got := maps.Collect(m.All())
	if want := map[string]int{"late": 1, "new": 4}; !maps.Equal(got, want) {
		t.Fatalf("entries = %v; want %v", got, want)
	}
	m.Set("late", 5, 100)
	if m.Len() != 2 {
		t.Fatalf("len after changing a key = %d; want 2", m.Len())
	}
}

// Stale items do not pile up: the heap is rebuilt from the entries.
func TestMap_StaleItemsRebuilt(t *testing.T) {
	m := NewMap[int, struct{}](0)
	for i := range 10 {
		m.Set(i, struct{}{}, 1000)
	}
	for round := range 500 {
		for i := range 10 {
			m.Set(i, struct{}{}, int64(1000+round+1))
		}
	}
	m.Evict(0)
	if n := len(m.heap); n > 2*m.Len()+1024 {
		t.Fatalf("heap holds %d items for %d entries; want at most %d", n, m.Len(), 2*m.Len()+1024)
	}
	if at, ok := m.Next(); !ok || at != 1500 {
		t.Fatalf("Next = %d, %v; want 1500, true (every key's latest time)", at, ok)
	}
	if _, ok := NewMap[int, int](0).Next(); ok {
		t.Fatal("Next of an empty map is true")
	}
}

func ExampleMap() {
	m := NewMap[string, string](0)
	m.Set("jti-1", "revoked", 100)
	m.Set("jti-2", "revoked", 300)
	m.Evict(200)
	_, _, ok1 := m.Get("jti-1")
	_, _, ok2 := m.Get("jti-2")
	fmt.Println(ok1, ok2, m.Len())
	// Output: false true 1
}
