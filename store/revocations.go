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
	max  int
	jtis map[string]revEntry
	heap expheap.Heap[string] // by forget time
}

type revEntry struct {
	c      TokenChange
	forget int64 // unix ns
}

// NewRevocations returns an empty RevocationList of at most max single-
// token records (max <= 0: no bound).
func NewRevocations(max int) *RevocationList {
	return &RevocationList{max: max, jtis: map[string]revEntry{}}
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
	n := now.UnixNano()
	r.evict(n)
	e, ok := r.jtis[jti]
	if ok {
		e.c.Revoked = e.c.Revoked || c.Revoked
		if !c.Expires.IsZero() && (e.c.Expires.IsZero() || c.Expires.Before(e.c.Expires)) {
			e.c.Expires = c.Expires
		}
	} else {
		e.c = c
		for r.max > 0 && len(r.jtis) >= r.max && len(r.heap) > 0 {
			it := r.heap.Pop() // forget the record closest to being forgotten
			if cur, ok := r.jtis[it.Key]; ok && cur.forget == it.At {
				delete(r.jtis, it.Key)
			}
		}
	}
	if f := forget.UnixNano(); f != e.forget {
		e.forget = f
		r.heap.Push(f, jti)
	}
	r.jtis[jti] = e
	return nil
}

func (r *RevocationList) evict(now int64) {
	for len(r.heap) > 0 && r.heap.Next() <= now {
		it := r.heap.Pop()
		if cur, ok := r.jtis[it.Key]; ok && cur.forget <= now {
			delete(r.jtis, it.Key)
		}
	}
	// Stale heap items (records rescheduled) are dropped as their time
	// comes; if they pile up, rebuild.
	if len(r.heap) > 2*len(r.jtis)+1024 {
		r.heap = r.heap[:0]
		for k, e := range r.jtis {
			r.heap.Push(e.forget, k)
		}
	}
}

// Token implements Revocations.
func (r *RevocationList) Token(_ context.Context, jti string) (TokenChange, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.jtis[jti]
	return e.c, ok, nil
}

// Len implements Revocations.
func (r *RevocationList) Len(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jtis), nil
}
