package mockoauth

import (
	"sync"

	"github.com/flamock/flamock/internal/expheap"
)

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
	heap   expheap.Heap[string] // by forget time
}

func newTokenStore(max int) *tokenStore {
	return &tokenStore{max: max, tokens: make(map[string]tokenEntry)}
}

func (s *tokenStore) put(tok string, e tokenEntry, now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evict(now)
	for len(s.tokens) >= s.max && len(s.heap) > 0 {
		it := s.heap.Pop() // forget the token closest to being forgotten
		if cur, ok := s.tokens[it.Key]; ok && cur.forget == it.At {
			delete(s.tokens, it.Key)
		}
	}
	s.tokens[tok] = e
	s.heap.Push(e.forget, tok)
}

func (s *tokenStore) evict(now int64) {
	for len(s.heap) > 0 && s.heap.Next() <= now {
		it := s.heap.Pop()
		if cur, ok := s.tokens[it.Key]; ok && cur.forget <= now {
			delete(s.tokens, it.Key)
		}
	}
	// Stale heap items (tokens rescheduled by ExpireTokens) are dropped as
	// their time comes; if they pile up, rebuild.
	if len(s.heap) > 2*len(s.tokens)+1024 {
		s.heap = s.heap[:0]
		for k, e := range s.tokens {
			s.heap.Push(e.forget, k)
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
			s.heap.Push(e.forget, k)
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
