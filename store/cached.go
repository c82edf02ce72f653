package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Cached is a value derived from one namespace of a State, kept in memory
// while State.Version vouches for it: Get costs no round trip while
// nothing changed, and never serves a value older than a write
// acknowledged on any replica (the State contract). The run-time clients,
// the FLA mandates and the PostgreSQL backend's revocations and faults
// are each one.
type Cached[T any] struct {
	state State
	ns    string
	load  func(ctx context.Context, prev T) (T, error)

	mu  sync.Mutex // one load at a time while the version is vouched for; the others wait for it
	cur atomic.Pointer[cachedAt[T]]
}

type cachedAt[T any] struct {
	version uint64
	valid   bool // loaded while the State vouched for version
	val     T
}

// NewCached returns the value of namespace ns of st that load reads. load
// is given the value it returned last (the zero T at first), so it may
// keep what did not change.
func NewCached[T any](st State, ns string, load func(ctx context.Context, prev T) (T, error)) *Cached[T] {
	return &Cached[T]{state: st, ns: ns, load: load}
}

// Get returns the value as of now: from memory when the namespace's
// version is the one it was loaded under, else loaded again. The version
// is read before the load, so a write that lands during the load leaves
// the kept value behind a newer version: loaded again next time. While
// the State cannot vouch for the version, every Get loads (concurrently:
// none waits for another's read of a backend that may not answer), and
// what it loaded is never served from memory, not even once the State
// vouches for the same version number again.
func (c *Cached[T]) Get(ctx context.Context) (T, error) {
	v, ok := c.state.Version(c.ns)
	if !ok {
		return c.loadUnvouched(ctx)
	}
	if p := c.cur.Load(); p != nil && p.valid && p.version == v {
		return p.val, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok = c.state.Version(c.ns)
	if !ok {
		return c.loadUnvouched(ctx)
	}
	if p := c.cur.Load(); p != nil && p.valid && p.version == v {
		return p.val, nil // loaded by the caller that held the lock before
	}
	val, err := c.load(ctx, c.prev())
	if err != nil {
		return val, err
	}
	c.cur.Store(&cachedAt[T]{version: v, valid: true, val: val})
	return val, nil
}

func (c *Cached[T]) loadUnvouched(ctx context.Context) (T, error) {
	val, err := c.load(ctx, c.prev())
	if err == nil {
		c.cur.Store(&cachedAt[T]{val: val}) // a prev for the next load only
	}
	return val, err
}

func (c *Cached[T]) prev() T {
	if p := c.cur.Load(); p != nil {
		return p.val
	}
	var zero T
	return zero
}
