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
	seen *expheap.Map[[32]byte, struct{}] // forgotten when the assertion expires
}

// NewReplay returns an empty ReplayCache that holds at most max entries
// (max <= 0: no bound).
func NewReplay(max int) *ReplayCache {
	return &ReplayCache{max: max, seen: expheap.NewMap[[32]byte, struct{}](0)} // full: refused, not evicted (Add)
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
	c.seen.Evict(n)
	if _, exp, ok := c.seen.Get(key); ok && exp > n {
		return ErrReplayed
	}
	if c.max > 0 && c.seen.Len() >= c.max {
		at, _ := c.seen.Next()
		return &CapacityError{RetryAt: time.Unix(0, at)}
	}
	c.seen.Set(key, struct{}{}, expires.UnixNano())
	return nil
}

// Len implements Replay.
func (c *ReplayCache) Len(context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen.Len(), nil
}
