package postgres

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// replay is store.Replay on the flamock_jti table, keyed by the SHA-256 of
// client id, NUL, jti (a fixed 32 bytes whatever the jti's length).
type replay struct{ b *Backend }

func replayKey(clientID, jti string) []byte {
	h := sha256.New()
	h.Write([]byte(clientID))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	return h.Sum(nil)
}

// sqlReplay inserts the key, or takes over a row whose expiry has passed;
// it returns no row when the key is there and not expired: a replay. One
// statement, so concurrent Adds on any replicas serialise on the key.
const sqlReplay = `INSERT INTO flamock_jti (key, expires) VALUES ($1, $2)
	ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE flamock_jti.expires <= $3
	RETURNING true`

// Add records (clientID, jti) until expires, refusing a duplicate.
func (r *replay) Add(ctx context.Context, clientID, jti string, now, expires time.Time) error {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var fresh bool
	err := r.b.fast.QueryRow(ctx, sqlReplay, replayKey(clientID, jti), expires, now).Scan(&fresh)
	if err == pgx.ErrNoRows {
		r.b.health.ok()
		return store.ErrReplayed
	}
	return r.b.failed("record the assertion's jti", err)
}

// Len counts the rows not yet purged.
func (r *replay) Len(ctx context.Context) (int, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var n int
	if err := r.b.pool.QueryRow(ctx, `SELECT count(*) FROM flamock_jti`).Scan(&n); err != nil {
		return 0, r.b.failed("count jti", err)
	}
	return n, r.b.failed("", nil)
}

// purgeEvery is how often expired jti rows and forgotten token changes are
// deleted; pingEvery how often an unreachable database is tried again when
// nothing else uses it.
const (
	purgeEvery = 30 * time.Second
	pingEvery  = time.Second
)

// purgeLoop deletes what has expired and, during an outage, pings the
// database so the health report turns back to OK without traffic.
func (b *Backend) purgeLoop(ctx context.Context) {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if b.health.down() {
				c, cancel := b.ctx(ctx)
				b.failed("ping", b.pool.Ping(c))
				cancel()
			}
		case <-purge.C:
			b.purge(ctx)
		}
	}
}

func (b *Backend) purge(ctx context.Context) {
	c, cancel := b.ctx(ctx)
	defer cancel()
	now := b.opts.Now()
	if _, err := b.fast.Exec(c, `DELETE FROM flamock_jti WHERE expires <= $1`, now); err != nil {
		b.opts.Logger.Warn("postgres store: purging expired jti failed", "err", err)
	}
	if _, err := b.fast.Exec(c, `DELETE FROM flamock_token_changes WHERE forget <= $1`, now); err != nil {
		b.opts.Logger.Warn("postgres store: purging forgotten token changes failed", "err", err)
	}
	if _, err := b.fast.Exec(c, `DELETE FROM flamock_faults WHERE left_ = 0`); err != nil {
		b.opts.Logger.Warn("postgres store: purging used-up faults failed", "err", err)
	}
	b.journal.prune(ctx)
}
