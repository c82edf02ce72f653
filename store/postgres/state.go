package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// state is store.State on flamock_state: opaque values under a namespace
// and a key.
//
// Version is served from memory: a counter per namespace that this replica
// bumps when a write of that namespace commits here or is announced by a
// notification (channel flamock_state), and an epoch bumped whenever the
// listener (re)connects, since notifications sent meanwhile are lost.
// While the listener is down, Version is not ok and callers read the
// table.
//
// The staleness bound for acknowledged writes is zero: a write commits
// with its notification, then waits until every replica listening on the
// same schema (their listeners' application_name, in pg_stat_activity)
// has answered that it bumped its counter (channel flamock_state_ack). A
// replica that has not answered within ackTimeout makes the write answer
// ErrUnavailable: stored, but not shown to be seen everywhere, so the
// caller retries (its cache may still serve the old value). A replica whose
// listener is down is not listening, so it is not waited for, and it reads
// the table on every call until its listener is back.
type state struct {
	b     *Backend
	scope string // "flamock-state/<hash of the search_path>/": every replica's id on this schema starts so
	id    string // this replica: scope + random; the application_name of its listener

	epoch atomic.Uint64
	vers  sync.Map // namespace -> *atomic.Uint64

	mu    sync.Mutex
	waits map[string]*ackWait // by write id
}

const (
	chanState    = "flamock_state"     // payload: scope, write id, namespace
	chanStateAck = "flamock_state_ack" // payload: write id, replica id
	// ackTimeout bounds how long a write waits for every replica to say it
	// saw it.
	ackTimeout = 2 * time.Second
)

// ackWait collects the replicas that confirmed one write.
type ackWait struct {
	got  map[string]bool
	more chan struct{} // closed and replaced on each confirmation
}

// newState makes the state part and names this replica's listener; it must
// run before the listener starts.
func newState(b *Backend) *state {
	sum := sha256.Sum256([]byte(b.listen.cfg.RuntimeParams["search_path"]))
	s := &state{b: b, scope: "flamock-state/" + hex.EncodeToString(sum[:4]) + "/", waits: map[string]*ackWait{}}
	s.id = s.scope + randomHex(8)
	b.listen.cfg.RuntimeParams["application_name"] = s.id
	b.listen.on(chanState, s.changed)
	b.listen.on(chanStateAck, s.acked)
	b.listen.onReconnect(func() { s.epoch.Add(1) })
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Version implements store.State (see the type's documentation).
func (s *state) Version(ns string) (uint64, bool) {
	if !s.b.listen.up() {
		return 0, false
	}
	v := s.epoch.Load()
	if c, ok := s.vers.Load(ns); ok {
		v += c.(*atomic.Uint64).Load()
	}
	return v, true
}

func (s *state) bump(ns string) {
	c, ok := s.vers.Load(ns)
	if !ok {
		c, _ = s.vers.LoadOrStore(ns, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
}

// changed handles a write's notification: bump, then confirm.
func (s *state) changed(payload string) {
	scope, rest, _ := strings.Cut(payload, " ")
	id, ns, ok := strings.Cut(rest, " ")
	if !ok || scope != s.scope {
		return // another schema's sandbox
	}
	s.bump(ns)
	go func() {
		ctx, cancel := s.b.ctx(context.Background())
		defer cancel()
		_, _ = s.b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, chanStateAck, id+" "+s.id)
	}()
}

// acked handles a replica's confirmation of a write.
func (s *state) acked(payload string) {
	id, replica, ok := strings.Cut(payload, " ")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.waits[id]; w != nil {
		w.got[replica] = true
		close(w.more)
		w.more = make(chan struct{})
	}
}

// write runs one statement that changes ns and announces it (its last two
// parameters are the channel and payload, given here), then waits for every
// replica's confirmation. It returns the statement's count.
func (s *state) write(ctx context.Context, what, ns, sql string, args ...any) (int64, error) {
	id := randomHex(8)
	s.mu.Lock()
	s.waits[id] = &ackWait{got: map[string]bool{}, more: make(chan struct{})}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waits, id)
		s.mu.Unlock()
	}()
	c, cancel := s.b.ctx(ctx)
	defer cancel()
	var n int64
	args = append(args, chanState, s.scope+" "+id+" "+ns)
	if err := s.b.pool.QueryRow(c, sql, args...).Scan(&n, nil); err != nil {
		return 0, s.b.failed(what, err)
	}
	s.bump(ns)
	return n, s.confirmed(ctx, what, id)
}

// confirmed waits until every replica listening on this schema confirmed
// write id, or ackTimeout.
func (s *state) confirmed(ctx context.Context, what, id string) error {
	c, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	rows, err := s.b.pool.Query(c, `SELECT application_name FROM pg_stat_activity
		WHERE datname = current_database() AND starts_with(application_name, $1)`, s.scope)
	if err != nil {
		return s.b.failed(what+" (list the replicas)", err)
	}
	replicas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.b.failed(what+" (list the replicas)", err)
	}
	for {
		s.mu.Lock()
		w := s.waits[id]
		missing := slices.DeleteFunc(slices.Clone(replicas), func(r string) bool { return w.got[r] })
		more := w.more
		s.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-more:
		case <-c.Done():
			return &store.UnavailableError{Backend: "postgres", RetryAfter: retryAfter,
				Err: fmt.Errorf("%s: stored, but %d of %d replicas did not confirm they saw it within %v (%s); retry", what, len(missing), len(replicas), ackTimeout, strings.Join(missing, ", "))}
		}
	}
}

// Load returns every key and value of namespace ns.
func (s *state) Load(ctx context.Context, ns string) (map[string][]byte, error) {
	ctx, cancel := s.b.ctx(ctx)
	defer cancel()
	rows, err := s.b.pool.Query(ctx, `SELECT key, value FROM flamock_state WHERE ns = $1`, ns)
	if err != nil {
		return nil, s.b.failed("load run-time state", err)
	}
	out := map[string][]byte{}
	var (
		k string
		v []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		out[k] = v
		v = nil // Scan into a new slice for the next row
		return nil
	})
	if err != nil {
		return nil, s.b.failed("load run-time state", err)
	}
	return out, s.b.failed("", nil)
}

// Save stores value under (ns, key), replacing what was there.
func (s *state) Save(ctx context.Context, ns, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	_, err := s.write(ctx, "save run-time state", ns, `WITH w AS (
		INSERT INTO flamock_state (ns, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($4, $5)`, ns, key, value)
	return err
}

// Remove deletes (ns, key) and reports whether it was there.
func (s *state) Remove(ctx context.Context, ns, key string) (bool, error) {
	n, err := s.write(ctx, "remove run-time state", ns, `WITH w AS (
		DELETE FROM flamock_state WHERE ns = $1 AND key = $2 RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($3, $4)`, ns, key)
	return n > 0, err
}

// Clear deletes every key of ns.
func (s *state) Clear(ctx context.Context, ns string) error {
	_, err := s.write(ctx, "clear run-time state", ns, `WITH w AS (
		DELETE FROM flamock_state WHERE ns = $1 RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($2, $3)`, ns)
	return err
}

// SharedKey returns the value named name that every replica shares (the
// access-token signing key): the one stored, or, the first time, the one
// create returns, stored so that of replicas starting together exactly one
// value wins and every replica returns it.
func (b *Backend) SharedKey(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	var v []byte
	err := b.pool.QueryRow(ctx, `SELECT value FROM flamock_keys WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, b.failed("", nil)
	}
	if err != pgx.ErrNoRows {
		return nil, b.failed("read the shared key "+name, err)
	}
	nv, err := create()
	if err != nil {
		return nil, err
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO flamock_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, nv); err != nil {
		return nil, b.failed("store the shared key "+name, err)
	}
	err = b.pool.QueryRow(ctx, `SELECT value FROM flamock_keys WHERE name = $1`, name).Scan(&v)
	return v, b.failed("read the shared key "+name, err)
}
