package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/flamock/flamock/store"
)

// unvouched is a StateMap whose Version can be made to say it cannot vouch
// (a shared backend whose change notifications are down).
type unvouched struct {
	*store.StateMap
	down atomic.Bool
}

func (u *unvouched) Version(ns string) (uint64, bool) {
	if u.down.Load() {
		return 0, false
	}
	return u.StateMap.Version(ns)
}

// counted returns a Cached of key "k" of namespace "ns", and the number of
// loads it made.
func counted(st store.State) (*store.Cached[string], *atomic.Int64, *[]string) {
	var loads atomic.Int64
	var prevs []string
	var mu sync.Mutex
	c := store.NewCached(st, "ns", func(ctx context.Context, prev string) (string, error) {
		loads.Add(1)
		mu.Lock()
		prevs = append(prevs, prev)
		mu.Unlock()
		m, err := st.Load(ctx, "ns")
		return string(m["k"]), err
	})
	return c, &loads, &prevs
}

func get(t *testing.T, c *store.Cached[string]) string {
	t.Helper()
	v, err := c.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCached_LoadsOncePerVersion(t *testing.T) {
	st := store.NewState()
	bg := context.Background()
	c, loads, prevs := counted(st)
	for range 10 {
		if v := get(t, c); v != "" {
			t.Fatalf("empty namespace: got %q", v)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("10 Gets of one version: %d loads, want 1", n)
	}
	for i, want := range []string{"a", "b"} {
		if err := st.Save(bg, "ns", "k", []byte(want)); err != nil {
			t.Fatal(err)
		}
		if err := st.Save(bg, "other", "k", []byte("x")); err != nil { // another namespace: no load
			t.Fatal(err)
		}
		for range 5 {
			if v := get(t, c); v != want {
				t.Fatalf("after Save %q: Get = %q", want, v)
			}
		}
		if n := loads.Load(); n != int64(i+2) {
			t.Fatalf("after Save %q: %d loads, want %d", want, n, i+2)
		}
	}
	if got := *prevs; len(got) != 3 || got[0] != "" || got[1] != "" || got[2] != "a" {
		t.Fatalf("prev given to the loads: %q, want [\"\" \"\" \"a\"]", got)
	}
}

func TestCached_UnvouchedLoadsEveryTime(t *testing.T) {
	st := &unvouched{StateMap: store.NewState()}
	bg := context.Background()
	c, loads, _ := counted(st)
	if err := st.Save(bg, "ns", "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	get(t, c) // kept at this version
	st.down.Store(true)
	for range 3 {
		get(t, c)
	}
	if n := loads.Load(); n != 4 {
		t.Fatalf("1 Get, then 3 while the State cannot vouch: %d loads, want 4", n)
	}
	// Changed behind the State's back while it could not vouch, then
	// vouching again for the same version number: what was kept before
	// may be stale, and what was loaded meanwhile was not vouched for.
	st.StateMap = store.NewState()
	if err := st.Save(bg, "ns", "k", []byte("b")); err != nil { // version 1 again, as when "a" was kept
		t.Fatal(err)
	}
	if v, _ := st.StateMap.Version("ns"); v != 1 {
		t.Fatalf("the test's premise: version %d, want 1", v)
	}
	st.down.Store(false)
	if v := get(t, c); v != "b" {
		t.Fatalf("vouched again: Get = %q, want the new value b", v)
	}
	if n := loads.Load(); n != 5 {
		t.Fatalf("vouched again: %d loads, want 5 (one more)", n)
	}
}

func TestCached_LoadErrorKeepsNothing(t *testing.T) {
	st := store.NewState()
	fail := errors.New("backend unavailable")
	var loads atomic.Int64
	c := store.NewCached(st, "ns", func(context.Context, int) (int, error) {
		if loads.Add(1) == 1 {
			return 0, fail
		}
		return 7, nil
	})
	if _, err := c.Get(context.Background()); !errors.Is(err, fail) {
		t.Fatalf("first Get: err %v, want %v", err, fail)
	}
	for range 3 {
		if v, err := c.Get(context.Background()); err != nil || v != 7 {
			t.Fatalf("Get after a failed load: %d, %v; want 7", v, err)
		}
	}
	if n := loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 (the failed one kept nothing)", n)
	}
}

func TestCached_ConcurrentGetsLoadOnce(t *testing.T) {
	st := store.NewState()
	c, loads, _ := counted(st)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() { get(t, c) })
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("32 concurrent Gets of one version: %d loads, want 1", n)
	}
}
