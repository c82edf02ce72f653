package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flamock/flamock/internal/expheap"
)

// RevocationList is the embedded Revocations: watermarks in atomics (a
// check costs three atomic loads) and single-token changes in a map, each
// kept until its token's forget time, at most max of them (the one closest
// to being forgotten goes first).
type RevocationList struct {
	revokedBefore atomic.Int64
	expiredBefore atomic.Int64
	expiredAt     atomic.Int64 // unix ns

	mu   sync.Mutex
	jtis *expheap.Map[string, TokenChange] // forgotten at the token's forget time
}

// NewRevocations returns an empty RevocationList of at most max single-
// token records (max <= 0: no bound).
func NewRevocations(max int) *RevocationList {
	return &RevocationList{jtis: expheap.NewMap[string, TokenChange](max)}
}

// Watermarks implements Revocations.
func (r *RevocationList) Watermarks(context.Context) (Watermarks, error) {
	w := Watermarks{RevokedBefore: r.revokedBefore.Load(), ExpiredBefore: r.expiredBefore.Load()}
	if at := r.expiredAt.Load(); at != 0 {
		w.ExpiredAt = time.Unix(0, at)
	}
	return w, nil
}

// RevokeBefore implements Revocations.
func (r *RevocationList) RevokeBefore(_ context.Context, stamp int64) error {
	raise(&r.revokedBefore, stamp)
	return nil
}

// ExpireBefore implements Revocations.
func (r *RevocationList) ExpireBefore(_ context.Context, stamp int64, at time.Time) error {
	r.mu.Lock() // the pair (expiredAt, expiredBefore) changes together
	defer r.mu.Unlock()
	if stamp <= r.expiredBefore.Load() {
		return nil
	}
	r.expiredAt.Store(at.UnixNano())
	r.expiredBefore.Store(stamp)
	return nil
}

func raise(v *atomic.Int64, to int64) {
	for {
		cur := v.Load()
		if to <= cur || v.CompareAndSwap(cur, to) {
			return
		}
	}
}

// Change implements Revocations.
func (r *RevocationList) Change(_ context.Context, jti string, c TokenChange, now, forget time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jtis.Evict(now.UnixNano())
	if e, _, ok := r.jtis.Get(jti); ok {
		e.Revoked = e.Revoked || c.Revoked
		if !c.Expires.IsZero() && (e.Expires.IsZero() || c.Expires.Before(e.Expires)) {
			e.Expires = c.Expires
		}
		c = e
	}
	r.jtis.Set(jti, c, forget.UnixNano())
	return nil
}

// Token implements Revocations.
func (r *RevocationList) Token(_ context.Context, jti string) (TokenChange, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, _, ok := r.jtis.Get(jti)
	return c, ok, nil
}

// Len implements Revocations.
func (r *RevocationList) Len(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.jtis.Len(), nil
}
