package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// state is store.State on flamock_state: opaque values under a namespace
// and a key.
type state struct{ b *Backend }

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
	ctx, cancel := s.b.ctx(ctx)
	defer cancel()
	if value == nil {
		value = []byte{}
	}
	_, err := s.b.pool.Exec(ctx, `INSERT INTO flamock_state (ns, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`, ns, key, value)
	return s.b.failed("save run-time state", err)
}

// Remove deletes (ns, key) and reports whether it was there.
func (s *state) Remove(ctx context.Context, ns, key string) (bool, error) {
	ctx, cancel := s.b.ctx(ctx)
	defer cancel()
	tag, err := s.b.pool.Exec(ctx, `DELETE FROM flamock_state WHERE ns = $1 AND key = $2`, ns, key)
	if err != nil {
		return false, s.b.failed("remove run-time state", err)
	}
	return tag.RowsAffected() > 0, s.b.failed("", nil)
}

// Clear deletes every key of ns.
func (s *state) Clear(ctx context.Context, ns string) error {
	ctx, cancel := s.b.ctx(ctx)
	defer cancel()
	_, err := s.b.pool.Exec(ctx, `DELETE FROM flamock_state WHERE ns = $1`, ns)
	return s.b.failed("clear run-time state", err)
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
