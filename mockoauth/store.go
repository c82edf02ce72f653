package mockoauth

import (
	"crypto/sha256"
	"sync"
)

// expHeap is a binary min-heap of (time, key) pairs: the eviction schedule
// of a map. Entries may be stale (the key was removed or rescheduled); the
// owner checks on pop.
type expHeap[K comparable] []expItem[K]

type expItem[K comparable] struct {
	at  int64 // unix nanoseconds
	key K
}

func (h *expHeap[K]) push(at int64, key K) {
	*h = append(*h, expItem[K]{at, key})
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *expHeap[K]) pop() expItem[K] {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	var zero expItem[K]
	s[n] = zero
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].at < s[l].at {
			m = r
		}
		if s[i].at <= s[m].at {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// replayCache remembers accepted assertions (client id + jti) until they
// could no longer be valid. Keys are SHA-256 hashes, so an entry has a fixed
// size (about 80 bytes with the map and heap) whatever the jti's length.
type replayCache struct {
	mu   sync.Mutex
	max  int
	seen map[[32]byte]int64 // key -> expiry (unix ns)
	heap expHeap[[32]byte]
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[[32]byte]int64)}
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

// replayResult is the outcome of replayCache.add.
type replayResult int

const (
	replayFresh replayResult = iota // recorded
	replaySeen                      // already there and not expired
	replayFull                      // at the bound; retryAt says when room frees up
)

// add records key until expires, unless it is already there or the cache is
// full. now evicts what has expired.
func (c *replayCache) add(key [32]byte, now, expires int64) (res replayResult, retryAt int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evict(now)
	if exp, ok := c.seen[key]; ok && exp > now {
		return replaySeen, 0
	}
	if len(c.seen) >= c.max {
		return replayFull, c.heap[0].at
	}
	c.seen[key] = expires
	c.heap.push(expires, key)
	return replayFresh, 0
}

func (c *replayCache) evict(now int64) {
	for len(c.heap) > 0 && c.heap[0].at <= now {
		it := c.heap.pop()
		if exp, ok := c.seen[it.key]; ok && exp <= now {
			delete(c.seen, it.key)
		}
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// tokenEntry is what the server remembers of an issued access token.
type tokenEntry struct {
	grant   *grant
	expires int64 // unix ns; the token is expired from then on
	forget  int64 // unix ns; the entry is evicted from then on
	revoked bool
}

// grant is shared by all tokens issued to one client with one scope set.
type grant struct {
	caller   Caller
	scopeStr string
}

// tokenStore maps issued access tokens to their grants.
type tokenStore struct {
	mu     sync.Mutex
	max    int
	tokens map[string]tokenEntry
	heap   expHeap[string] // by forget time
}

func newTokenStore(max int) *tokenStore {
	return &tokenStore{max: max, tokens: make(map[string]tokenEntry)}
}

func (s *tokenStore) put(tok string, e tokenEntry, now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evict(now)
	for len(s.tokens) >= s.max && len(s.heap) > 0 {
		it := s.heap.pop() // forget the token closest to being forgotten
		if cur, ok := s.tokens[it.key]; ok && cur.forget == it.at {
			delete(s.tokens, it.key)
		}
	}
	s.tokens[tok] = e
	s.heap.push(e.forget, tok)
}

func (s *tokenStore) evict(now int64) {
	for len(s.heap) > 0 && s.heap[0].at <= now {
		it := s.heap.pop()
		if cur, ok := s.tokens[it.key]; ok && cur.forget <= now {
			delete(s.tokens, it.key)
		}
	}
	// Stale heap items (tokens rescheduled by ExpireTokens) are dropped as
	// their time comes; if they pile up, rebuild.
	if len(s.heap) > 2*len(s.tokens)+1024 {
		s.heap = s.heap[:0]
		for k, e := range s.tokens {
			s.heap.push(e.forget, k)
		}
	}
}

func (s *tokenStore) get(tok string) (tokenEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[tok]
	return e, ok
}

// update applies f to one token (all tokens when tok is ""), rescheduling
// eviction when f changes it; it returns how many tokens it touched.
func (s *tokenStore) update(tok string, f func(*tokenEntry)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	apply := func(k string, e tokenEntry) {
		old := e.forget
		f(&e)
		s.tokens[k] = e
		if e.forget != old {
			s.heap.push(e.forget, k)
		}
	}
	if tok != "" {
		e, ok := s.tokens[tok]
		if !ok {
			return 0
		}
		apply(tok, e)
		return 1
	}
	for k, e := range s.tokens {
		apply(k, e)
	}
	return len(s.tokens)
}

func (s *tokenStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}
