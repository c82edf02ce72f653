package mockfla

import (
	"crypto/rand"
	"regexp"
	"sync"
	"testing"
)

// Trace ids from crypto/rand (the default source), read a block at a time,
// are version 4 UUIDs, and none repeats: across many blocks and from
// several goroutines at once, so that no block is handed out twice.
func TestNewTraceID_CryptoRand(t *testing.T) {
	s := &Server{cfg: Config{Rand: rand.Reader}}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	const workers, each = 4, 500 // 2,000 ids: about 30 blocks
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ids := make([]string, each)
			for i := range ids {
				ids[i] = s.newTraceID()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if !uuid.MatchString(id) {
					t.Errorf("trace id %q is not a version 4 UUID", id)
				}
				if seen[id] {
					t.Errorf("trace id %s handed out twice", id)
				}
				seen[id] = true
			}
		})
	}
	wg.Wait()
}
