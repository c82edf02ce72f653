package postgres

import (
	"context"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// revocations is store.Revocations on flamock_watermarks (one row) and
// flamock_token_changes. Every check reads the database (one indexed
// lookup): a change acknowledged on one replica is seen by the next check
// on every replica, with no staleness to document.
type revocations struct{ b *Backend }

// Watermarks returns the current watermarks.
func (r *revocations) Watermarks(ctx context.Context) (store.Watermarks, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var w store.Watermarks
	var at *time.Time
	err := r.b.pool.QueryRow(ctx, `SELECT revoked_before, expired_before, expired_at FROM flamock_watermarks WHERE id = 1`).
		Scan(&w.RevokedBefore, &w.ExpiredBefore, &at)
	if err != nil {
		return store.Watermarks{}, r.b.failed("read the token watermarks", err)
	}
	if at != nil {
		w.ExpiredAt = *at
	}
	return w, r.b.failed("", nil)
}

// Token returns the change recorded for jti.
func (r *revocations) Token(ctx context.Context, jti string) (store.TokenChange, bool, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var tc store.TokenChange
	var exp *time.Time
	err := r.b.pool.QueryRow(ctx, `SELECT revoked, expires FROM flamock_token_changes WHERE jti = $1`, jti).Scan(&tc.Revoked, &exp)
	if err == pgx.ErrNoRows {
		return store.TokenChange{}, false, r.b.failed("", nil)
	}
	if err != nil {
		return store.TokenChange{}, false, r.b.failed("read a token change", err)
	}
	if exp != nil {
		tc.Expires = *exp
	}
	return tc, true, r.b.failed("", nil)
}

// write runs one statement.
func (r *revocations) write(ctx context.Context, what, sql string, args ...any) error {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	_, err := r.b.pool.Exec(ctx, sql, args...)
	return r.b.failed(what, err)
}

// RevokeBefore raises the revocation watermark to stamp.
func (r *revocations) RevokeBefore(ctx context.Context, stamp int64) error {
	return r.write(ctx, "revoke tokens", `UPDATE flamock_watermarks SET revoked_before = greatest(revoked_before, $1) WHERE id = 1`, stamp)
}

// ExpireBefore raises the expiry watermark to stamp, with its time.
func (r *revocations) ExpireBefore(ctx context.Context, stamp int64, at time.Time) error {
	return r.write(ctx, "expire tokens", `UPDATE flamock_watermarks SET expired_before = $1, expired_at = $2 WHERE id = 1 AND expired_before < $1`, stamp, at)
}

// sqlChange merges a change atomically: revoked stays true, expires keeps
// the sooner (a null one changes nothing), forget the later.
const sqlChange = `INSERT INTO flamock_token_changes AS t (jti, revoked, expires, forget) VALUES ($1, $2, $3, $4)
	ON CONFLICT (jti) DO UPDATE SET
		revoked = t.revoked OR excluded.revoked,
		expires = CASE WHEN t.expires IS NULL THEN excluded.expires
			WHEN excluded.expires IS NULL THEN t.expires
			ELSE least(t.expires, excluded.expires) END,
		forget = greatest(t.forget, excluded.forget)`

// Change records a change of the single token jti until forget.
func (r *revocations) Change(ctx context.Context, jti string, c store.TokenChange, now, forget time.Time) error {
	var exp *time.Time
	if !c.Expires.IsZero() {
		exp = &c.Expires
	}
	return r.write(ctx, "change a token", sqlChange, jti, c.Revoked, exp, forget)
}

// Len counts the single-token records not yet forgotten.
func (r *revocations) Len(ctx context.Context) (int, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var n int
	if err := r.b.pool.QueryRow(ctx, `SELECT count(*) FROM flamock_token_changes WHERE forget > $1`, r.b.opts.Now()).Scan(&n); err != nil {
		return 0, r.b.failed("count token changes", err)
	}
	return n, r.b.failed("", nil)
}
