package postgres

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
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
