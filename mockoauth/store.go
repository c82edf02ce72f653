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

// tokenStore maps issued access tokens to their grants, each forgotten at
// its entry's forget time (one expiring map, as the replay cache's).
type tokenStore struct {
	mu     sync.Mutex
	tokens *expheap.Map[string, tokenEntry]
}

func newTokenStore(max int) *tokenStore {
	return &tokenStore{tokens: expheap.NewMap[string, tokenEntry](max)}
}

func (s *tokenStore) put(tok string, e tokenEntry, now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.Evict(now)
	s.tokens.Set(tok, e, e.forget)
}

func (s *tokenStore) get(tok string) (tokenEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, _, ok := s.tokens.Get(tok)
	return e, ok
}

// update applies f to one token (all tokens when tok is ""), rescheduling
// eviction when f changes its forget time; it returns how many tokens it
// touched.
func (s *tokenStore) update(tok string, f func(*tokenEntry)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	apply := func(k string, e tokenEntry) {
		f(&e)
		s.tokens.Set(k, e, e.forget)
	}
	if tok != "" {
		e, _, ok := s.tokens.Get(tok)
		if !ok {
			return 0
		}
		apply(tok, e)
		return 1
	}
	n := 0
	for k, e := range s.tokens.All() {
		apply(k, e)
		n++
	}
	return n
}

func (s *tokenStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens.Len()
}
