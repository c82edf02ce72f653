package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// faults is store.Faults on flamock_faults: one row per queued fault with
// the requests it has left.
//
// Pending and Take match from a cache of the queued faults (see store.Cached):
// no round trip while none was added or cleared since the last read.
// Add, Clear and ClearClient are state writes of nsFaults: each returns
// once every replica confirmed it saw it, so a fault queued through one
// replica is matched by the next request on any replica. A request of a
// matching fault is taken in the database with
//
//	UPDATE ... SET left_ = left_ - 1 WHERE id = $1 AND left_ > 0
//
// which row locks serialise across replicas: of concurrent takers of a
// fault with n requests left, exactly n get a row back. Takes do not
// notify the other replicas: their caches may still show a fault used up
// (Pending then says true, as it may), and the first of their takes that
// finds no request left marks it used up in that cache. Used-up faults
// are deleted by the purge.
type faults struct {
	b     *Backend
	cache *store.Cached[[2][]*queued] // by target

	mu     sync.Mutex
	open   map[int64]*takeGroup // by fault id: the group the next UPDATE serves
	flying map[int64]*takeGroup // by fault id: the group whose UPDATE is in flight
}

// queued is a fault as last read, in the order it was added.
type queued struct {
	id   int64
	f    fault.Fault
	gone atomic.Bool // a take found no request left (or no row)
}

func newFaults(b *Backend) *faults {
	f := &faults{b: b, open: map[int64]*takeGroup{}, flying: map[int64]*takeGroup{}}
	f.cache = store.NewCached(b.state, nsFaults, func(ctx context.Context, _ [2][]*queued) ([2][]*queued, error) { return f.read(ctx) })
	return f
}

func checkTarget(t fault.Target) error {
	if t != fault.API && t != fault.Token {
		return fmt.Errorf("fault target %d is neither the API nor the token endpoint", t)
	}
	return nil
}

// read reads every queued fault with requests left, in order.
func (f *faults) read(ctx context.Context) ([2][]*queued, error) {
	var out [2][]*queued
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	rows, err := f.b.pool.Query(ctx, `SELECT id, target, fault FROM flamock_faults WHERE left_ > 0 ORDER BY id`)
	if err != nil {
		return out, f.b.failed("read the queued faults", err)
	}
	var (
		id  int64
		t   int
		raw []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &t, &raw}, func() error {
		q := &queued{id: id}
		if err := json.Unmarshal(raw, &q.f); err != nil {
			return fmt.Errorf("queued fault %d: %w", id, err)
		}
		if checkTarget(fault.Target(t)) == nil {
			out[t] = append(out[t], q)
		}
		return nil
	})
	if err != nil {
		return out, f.b.failed("read the queued faults", err)
	}
	return out, f.b.failed("", nil)
}

// Add queues faults after those already queued, in one statement, and
// waits for every replica's confirmation.
func (f *faults) Add(ctx context.Context, t fault.Target, fs ...fault.Fault) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	clients := make([]string, len(fs))
	raws := make([][]byte, len(fs))
	lefts := make([]int32, len(fs))
	for i, x := range fs {
		if x.Count == 0 {
			x.Count = 1
		}
		j, err := json.Marshal(x)
		if err != nil {
			return err
		}
		clients[i], raws[i], lefts[i] = x.Client, j, int32(x.Count)
	}
	_, err := f.b.state.write(ctx, "queue faults", nsFaults, `WITH w AS (
		INSERT INTO flamock_faults (target, client, fault, left_)
		SELECT $1, c, j, l FROM unnest($2::text[], $3::bytea[], $4::int4[]) WITH ORDINALITY AS x(c, j, l, o) ORDER BY o
		RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($5, $6)`, int(t), clients, raws, lefts)
	return err
}

// Take uses one request of the first queued fault of t scoped to client
// that matches method and path.
func (f *faults) Take(ctx context.Context, t fault.Target, method, path, client string) (fault.Fault, bool, error) {
	if err := checkTarget(t); err != nil {
		return fault.Fault{}, false, err
	}
	qs, err := f.cache.Get(ctx)
	if err != nil {
		return fault.Fault{}, false, err
	}
	for _, q := range qs[t] {
		if q.gone.Load() || q.f.Client != client || !matches(q.f, method, path, client) {
			continue
		}
		left, err := f.takeOne(q.id)
		if err != nil {
			return fault.Fault{}, false, err
		}
		if left <= 0 {
			q.gone.Store(true) // none left (0: this take used the last one)
		}
		if left >= 0 {
			return q.f, true, nil
		}
	}
	return fault.Fault{}, false, nil
}

// takeOne uses one request of fault id and returns how many it has left;
// -1 when other requests (on any replica) took its last ones first, or it
// was cleared. The concurrent takes of one fault on this replica are
// combined into one UPDATE (see takeGroup).
func (f *faults) takeOne(id int64) (int, error) {
	f.mu.Lock()
	g := f.open[id]
	leader := g == nil
	if leader {
		g = &takeGroup{done: make(chan struct{})}
		f.open[id] = g
	}
	rank := g.n
	g.n++
	prev := f.flying[id]
	f.mu.Unlock()
	if leader {
		if prev != nil {
			<-prev.done // bounded by its UPDATE's opTimeout
		}
		f.mu.Lock()
		delete(f.open, id) // later takes form the next group
		f.flying[id] = g
		n := g.n
		f.mu.Unlock()
		g.taken, g.left, g.err = f.take(id, n)
		f.mu.Lock()
		delete(f.flying, id)
		f.mu.Unlock()
		close(g.done)
	}
	<-g.done // bounded by the UPDATE's opTimeout; a request taken is never dropped
	switch {
	case g.err != nil:
		return 0, g.err
	case rank < g.taken:
		return g.left, nil
	}
	return -1, nil
}

// takeGroup is the takes of one fault that one UPDATE serves: while a
// fault's UPDATE is in flight, the takes that arrive wait together for
// the next one. The row lock of a fault serialises its takers across
// replicas, each waiting for the previous one's commit (a WAL flush), so
// 64 takers of one fault were 64 commits in a row (a 5-s timeout under a
// loaded disk: TestContract/Faults/TakeExactlyOnce, the once-seen
// TestFaultsExactlyOnce failure); combined, they are one per replica.
type takeGroup struct {
	n     int // takes in the group; the first taken of them get a request
	done  chan struct{}
	taken int
	left  int
	err   error
}

// take uses up to n requests of fault id in one statement and returns how
// many it got and how many are left (0, -1 when it had none left).
func (f *faults) take(id int64, n int) (taken, left int, err error) {
	ctx, cancel := f.b.ctx(context.Background())
	defer cancel()
	err = f.b.pool.QueryRow(ctx, `UPDATE flamock_faults SET left_ = left_ - least(left_, $2), taken_ = least(left_, $2)
		WHERE id = $1 AND left_ > 0 RETURNING taken_, left_`, id, n).Scan(&taken, &left)
	if err == pgx.ErrNoRows {
		return 0, -1, f.b.failed("", nil)
	}
	if err != nil {
		return 0, 0, f.b.failed("take a queued fault", err)
	}
	return taken, left, f.b.failed("", nil)
}

// matches is fault.Queue's own matching (method, path glob, client), asked
// of a queue holding f alone.
func matches(f fault.Fault, method, path, client string) bool {
	var q fault.Queue
	f.Count = 1
	q.Add(f)
	_, ok := q.TakeFor(method, path, client)
	return ok
}

// List returns the queued faults of t with requests left, in order.
func (f *faults) List(ctx context.Context, t fault.Target) ([]fault.Listed, error) {
	if err := checkTarget(t); err != nil {
		return nil, err
	}
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	rows, err := f.b.pool.Query(ctx, `SELECT fault, left_ FROM flamock_faults WHERE target = $1 AND left_ > 0 ORDER BY id`, int(t))
	if err != nil {
		return nil, f.b.failed("list the queued faults", err)
	}
	out := []fault.Listed{}
	var (
		raw  []byte
		left int64
	)
	_, err = pgx.ForEachRow(rows, []any{&raw, &left}, func() error {
		var x fault.Fault
		if err := json.Unmarshal(raw, &x); err != nil {
			return err
		}
		out = append(out, fault.Listed{Fault: x, Left: left})
		return nil
	})
	if err != nil {
		return nil, f.b.failed("list the queued faults", err)
	}
	return out, f.b.failed("", nil)
}

// Clear forgets every queued fault of t.
func (f *faults) Clear(ctx context.Context, t fault.Target) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	_, err := f.b.state.write(ctx, "clear the queued faults", nsFaults, `WITH w AS (
		DELETE FROM flamock_faults WHERE target = $1 RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($2, $3)`, int(t))
	return err
}

// ClearClient forgets the faults of t scoped to client, and only those.
func (f *faults) ClearClient(ctx context.Context, t fault.Target, client string) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	if client == "" {
		return fmt.Errorf("no client id: ClearClient clears one client's faults (Clear clears them all)")
	}
	_, err := f.b.state.write(ctx, "clear the client's queued faults", nsFaults, `WITH w AS (
		DELETE FROM flamock_faults WHERE target = $1 AND client = $2 RETURNING 1)
		SELECT (SELECT count(*) FROM w), pg_notify($3, $4)`, int(t), client)
	return err
}

// Pending reports whether t may have a fault queued, from the cache (a
// fault queued through another replica and acknowledged counts); when the
// database cannot be read it says true, so Take reports why.
func (f *faults) Pending(t fault.Target) bool {
	if checkTarget(t) != nil {
		return false
	}
	qs, err := f.cache.Get(context.Background())
	if err != nil {
		return true
	}
	for _, q := range qs[t] {
		if !q.gone.Load() {
			return true
		}
	}
	return false
}
