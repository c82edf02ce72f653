package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Many writers of a few keys, in every order, on one replica and on two:
// every write is acknowledged (before, a batch's upserts locked its rows in
// its own order and two committers, of one replica or of two, could lock
// two rows in opposite orders: PostgreSQL found the deadlock after its
// deadlock_timeout and refused one batch, and each of its PUTs answered
// 503 "deadlock detected"). The last write of each key wins.
func TestResourcesOverlappingWriters(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("replicas=%d", n), func(t *testing.T) {
			rs := replicas(t, n)
			const writers, each, keys = 32, 40, 6
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					r := rs[w%n].Resources()
					for i := range each {
						k := fmt.Sprintf("/k/%d", rand.IntN(keys))
						var err error
						if i%7 == 6 {
							_, err = r.Delete(bg, k)
						} else {
							_, err = r.Put(bg, k, []byte(k))
						}
						if err != nil {
							t.Errorf("writer %d, write %d (%s): %v", w, i, k, err)
							return
						}
					}
				})
			}
			wg.Wait()
			for i := range keys {
				k := fmt.Sprintf("/k/%d", i)
				if _, err := rs[0].Resources().Put(bg, k, []byte("last")); err != nil {
					t.Fatal(err)
				}
				if got, ok, err := rs[n-1].Resources().Get(bg, k); err != nil || !ok || string(got) != "last" {
					t.Fatalf("Get %s after the last Put = %q, %v, %v; want \"last\"", k, got, ok, err)
				}
			}
		})
	}
}

// Concurrent Gets are read together: 64 Gets queued while every
// connection is busy take at most 3 statements (each reader's first
// batch, then the rest at once), and each gets its own key's answer:
// the bytes acknowledged before, or nothing. After Close a Get is
// ErrClosed.
func TestResourcesBatchedReads(t *testing.T) {
	b := replicas(t, 1)[0]
	r := b.Resources()
	const gets = 64
	for i := 0; i < gets; i += 2 {
		if _, err := r.Put(bg, fmt.Sprintf("/r/%d", i), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	var held []*pgxpool.Conn
	for range b.pool.Config().MaxConns {
		c, err := b.pool.Acquire(bg)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	before := acquires(b)
	q := &b.resources.reads
	q.mu.Lock()
	taken := q.taken
	q.mu.Unlock()
	var wg sync.WaitGroup
	for i := range gets {
		wg.Go(func() {
			k := fmt.Sprintf("/r/%d", i%(gets-1)) // /r/0 twice, /r/63 never
			got, ok, err := r.Get(bg, k)
			if want := i%(gets-1)%2 == 0; err != nil || ok != want || (ok && string(got) != fmt.Sprint("v", i%(gets-1))) {
				t.Errorf("Get %s = %q, %v, %v; want found %v", k, got, ok, err, want)
			}
		})
	}
	waitFor(t, "every Get queued or taken", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.queue)+q.taken-taken == gets
	})
	for _, c := range held {
		c.Release()
	}
	wg.Wait()
	if n := acquires(b) - before; n > 3 {
		t.Errorf("%d concurrent Gets took %d connections (statements); want at most 3", gets, n)
	}
	b.Close()
	if _, _, err := r.Get(bg, "/r/0"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close: %v; want ErrClosed", err)
	}
}
