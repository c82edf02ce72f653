package postgres

import (
	"context"
	"sync"
	"sync/atomic"
)

// The revocation and fault tables are cached in each replica's memory,
// kept coherent by the run-time state's protocol (see state): their
// writes are state writes of a namespace of their own, so a write
// returns only once every replica listening on the schema confirmed that
// the namespace's version changed, and a check serves its answer from
// memory only while that version is the one its cache was read under.
// Reserved namespaces: no State caller uses them.
const (
	nsRevocations = "flamock.store.revocations"
	nsFaults      = "flamock.store.faults"
)

// cached is one value read from the database under a state version: read
// again when the version changed (another replica's or this one's write
// of the namespace), read through (never kept) while the version is
// unknown (the listener is down: notifications may be lost).
//
// Staleness: none for acknowledged writes. A write acknowledged on any
// replica changed the version here before it returned (its writer waited
// for this replica's confirmation), so every check that starts after it
// finds the version changed and reads the database, whose commit it
// follows. The one window left is a listener session that the database
// ended while this process has not yet read the end of its socket
// (microseconds, unless the network between them is cut, in which case
// every other call of this replica fails too): the writer no longer lists
// this replica, and this replica still believes its listener is up.
type cached[T any] struct {
	s    *state
	ns   string
	load func(context.Context) (T, error)

	mu  sync.Mutex // one read of the database at a time; the others wait for it
	cur atomic.Pointer[snapshot[T]]
}

type snapshot[T any] struct {
	version uint64
	val     T
}

func newCached[T any](s *state, ns string, load func(context.Context) (T, error)) *cached[T] {
	return &cached[T]{s: s, ns: ns, load: load}
}

// get returns the value as of now: from memory when the version is the
// one it was read under, else from the database. The version is read
// before the database, so a write whose notification arrives during the
// read leaves the kept value behind a newer version: read again next time.
func (c *cached[T]) get(ctx context.Context) (T, error) {
	v, ok := c.s.Version(c.ns)
	if !ok {
		return c.load(ctx)
	}
	if p := c.cur.Load(); p != nil && p.version == v {
		return p.val, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok = c.s.Version(c.ns)
	if !ok {
		return c.load(ctx)
	}
	if p := c.cur.Load(); p != nil && p.version == v {
		return p.val, nil // read by the caller that held the lock before
	}
	val, err := c.load(ctx)
	if err != nil {
		return val, err
	}
	c.cur.Store(&snapshot[T]{version: v, val: val})
	return val, nil
}
