package store

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/expheap"
)

// ReplayCache is the embedded Replay: it remembers accepted assertions
// (client id + jti) until they could no longer be valid, up to a bound.
// Keys are SHA-256 hashes, so an entry has a fixed size (about 80 bytes
// with the map and heap) whatever the jti's length.
type ReplayCache struct {
	mu   sync.Mutex
	max  int
	seen map[[32]byte]int64 // key -> expiry (unix ns)
	heap expheap.Heap[[32]byte]
}

// NewReplay returns an empty ReplayCache that holds at most max entries
// (max <= 0: no bound).
func NewReplay(max int) *ReplayCache {
	return &ReplayCache{max: max, seen: make(map[[32]byte]int64)}
}

func replayKey(clientID, jti string) [32]byte {
	h := sha256.New()
	h.Write([]byte(clientID))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Add implements Replay: at the bound it answers a *CapacityError whose
// RetryAt is when the oldest entry expires.
func (c *ReplayCache) Add(_ context.Context, clientID, jti string, now, expires time.Time) error {
	key := replayKey(clientID, jti)
	n := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evict(n)
	if exp, ok := c.seen[key]; ok && exp > n {
		return ErrReplayed
	}
	if c.max > 0 && len(c.seen) >= c.max {
		return &CapacityError{RetryAt: time.Unix(0, c.heap.Next())}
	}
	c.seen[key] = expires.UnixNano()
	c.heap.Push(expires.UnixNano(), key)
	return nil
}

func (c *ReplayCache) evict(now int64) {
	for len(c.heap) > 0 && c.heap.Next() <= now {
		it := c.heap.Pop()
		if exp, ok := c.seen[it.Key]; ok && exp <= now {
			delete(c.seen, it.Key)
		}
	}
}

// Len implements Replay.
func (c *ReplayCache) Len(context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen), nil
}
