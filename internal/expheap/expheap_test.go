package expheap

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHeap_PopsInTimeOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Heap[int]
	var want []int64
	for i := range 1000 {
		at := r.Int64N(500)
		h.Push(at, i)
		want = append(want, at)
	}
	slices.Sort(want)
	for i, w := range want {
		if got := h.Next(); got != w {
			t.Fatalf("Next before pop %d = %d; want %d", i, got, w)
		}
		if it := h.Pop(); it.At != w {
			t.Fatalf("pop %d = %d; want %d", i, it.At, w)
		}
	}
	if len(h) != 0 {
		t.Fatalf("len after popping all = %d; want 0", len(h))
	}
}
