package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/flamock/flamock/internal/fault"
	"github.com/jackc/pgx/v5"
)

// faults is store.Faults on flamock_faults: one row per queued fault with
// the requests it has left. Take reads the candidates of the request's
// target and client (none, almost always: one indexed read), matches them
// here in the order they were queued, and takes a request with
//
//	UPDATE ... SET left_ = left_ - 1 WHERE id = $1 AND left_ > 0
//
// which row locks serialise across replicas: of concurrent takers of a
// fault with n requests left, exactly n get a row back. A fault whose
// last request was taken is deleted.
type faults struct{ b *Backend }

func checkTarget(t fault.Target) error {
	if t != fault.API && t != fault.Token {
		return fmt.Errorf("fault target %d is neither the API nor the token endpoint", t)
	}
	return nil
}

// Add queues faults after those already queued, in one transaction.
func (f *faults) Add(ctx context.Context, t fault.Target, fs ...fault.Fault) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	var pb pgx.Batch
	for _, x := range fs {
		if x.Count == 0 {
			x.Count = 1
		}
		j, err := json.Marshal(x)
		if err != nil {
			return err
		}
		pb.Queue(`INSERT INTO flamock_faults (target, client, fault, left_) VALUES ($1, $2, $3, $4)`, int(t), x.Client, j, x.Count)
	}
	return f.b.failed("queue faults", f.b.pool.SendBatch(ctx, &pb).Close())
}

// Take uses one request of the first queued fault of t scoped to client
// that matches method and path.
func (f *faults) Take(ctx context.Context, t fault.Target, method, path, client string) (fault.Fault, bool, error) {
	if err := checkTarget(t); err != nil {
		return fault.Fault{}, false, err
	}
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	rows, err := f.b.pool.Query(ctx, `SELECT id, fault FROM flamock_faults WHERE target = $1 AND client = $2 AND left_ > 0 ORDER BY id`, int(t), client)
	if err != nil {
		return fault.Fault{}, false, f.b.failed("read the queued faults", err)
	}
	type cand struct {
		id int64
		f  fault.Fault
	}
	var cands []cand
	var (
		id  int64
		raw []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		var x fault.Fault
		if err := json.Unmarshal(raw, &x); err != nil {
			return fmt.Errorf("queued fault %d: %w", id, err)
		}
		if matches(x, method, path, client) {
			cands = append(cands, cand{id, x})
		}
		return nil
	})
	if err != nil {
		return fault.Fault{}, false, f.b.failed("read the queued faults", err)
	}
	for _, c := range cands {
		ok, err := f.takeOne(ctx, c.id)
		if err != nil {
			return fault.Fault{}, false, err
		}
		if ok {
			return c.f, true, nil
		}
	}
	return fault.Fault{}, false, f.b.failed("", nil)
}

// takeOne uses one request of fault id; false when another request (on
// any replica) took its last one first.
func (f *faults) takeOne(ctx context.Context, id int64) (bool, error) {
	var left int
	err := f.b.pool.QueryRow(ctx, `UPDATE flamock_faults SET left_ = left_ - 1 WHERE id = $1 AND left_ > 0 RETURNING left_`, id).Scan(&left)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, f.b.failed("take a queued fault", err)
	}
	if left == 0 {
		if _, err := f.b.pool.Exec(ctx, `DELETE FROM flamock_faults WHERE id = $1 AND left_ = 0`, id); err != nil {
			f.b.opts.Logger.Warn("postgres store: a used-up fault is left in the table (it never fires again)", "id", id, "err", err)
		}
	}
	return true, nil
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
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	_, err := f.b.pool.Exec(ctx, `DELETE FROM flamock_faults WHERE target = $1`, int(t))
	return f.b.failed("clear the queued faults", err)
}

// ClearClient forgets the faults of t scoped to client, and only those.
func (f *faults) ClearClient(ctx context.Context, t fault.Target, client string) error {
	if err := checkTarget(t); err != nil {
		return err
	}
	if client == "" {
		return fmt.Errorf("no client id: ClearClient clears one client's faults (Clear clears them all)")
	}
	ctx, cancel := f.b.ctx(ctx)
	defer cancel()
	_, err := f.b.pool.Exec(ctx, `DELETE FROM flamock_faults WHERE target = $1 AND client = $2`, int(t), client)
	return f.b.failed("clear the client's queued faults", err)
}

// Pending asks the database whether t has a fault queued (one indexed
// lookup: a fault queued through another replica a moment ago counts);
// when the database cannot answer it says true, so Take reports why.
func (f *faults) Pending(t fault.Target) bool {
	ctx, cancel := f.b.ctx(context.Background())
	defer cancel()
	var queued bool
	err := f.b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM flamock_faults WHERE target = $1 AND left_ > 0)`, int(t)).Scan(&queued)
	return err != nil || queued
}
