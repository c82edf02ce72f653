package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/flamock/flamock/internal/fault"
	"github.com/jackc/pgx/v5"
)

// faults is store.Faults on flamock_faults: one row per queued fault with
// the requests it has left.
//
// Pending and Take match from a cache of the queued faults (see cached):
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
// finds no request left marks it used up in that cache. A fault whose
// last request was taken is deleted.
type faults struct {
	b     *Backend
	cache *cached[[2][]*queued] // by target
}

// queued is a fault as last read, in the order it was added.
type queued struct {
	id   int64
	f    fault.Fault
	gone atomic.Bool // a take found no request left (or no row)
}

func newFaults(b *Backend) *faults {
	f := &faults{b: b}
	f.cache = newCached(b.state, nsFaults, f.read)
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
	qs, err := f.cache.get(ctx)
	if err != nil {
		return fault.Fault{}, false, err
	}
	for _, q := range qs[t] {
		if q.gone.Load() || q.f.Client != client || !matches(q.f, method, path, client) {
			continue
		}
		left, err := f.takeOne(ctx, q.id)
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
// -1 when another request (on any replica) took its last one first, or
// it was cleared.
func (f *faults) takeOne(ctx context.Context, id int64) (int, error) {
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	var left int
	err := f.b.pool.QueryRow(ctx, `UPDATE flamock_faults SET left_ = left_ - 1 WHERE id = $1 AND left_ > 0 RETURNING left_`, id).Scan(&left)
	if err == pgx.ErrNoRows {
		return -1, f.b.failed("", nil)
	}
	if err != nil {
		return 0, f.b.failed("take a queued fault", err)
	}
	if left == 0 {
		if _, err := f.b.pool.Exec(ctx, `DELETE FROM flamock_faults WHERE id = $1 AND left_ = 0`, id); err != nil {
			f.b.opts.Logger.Warn("postgres store: a used-up fault is left in the table (it never fires again)", "id", id, "err", err)
		}
	}
	return left, f.b.failed("", nil)
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
	qs, err := f.cache.get(context.Background())
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
