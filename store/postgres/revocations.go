package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// revocations is store.Revocations on flamock_watermarks (one row) and
// flamock_token_changes, cached in memory (see store.Cached): a check costs no
// round trip while no change was made since the last one, one after a
// change (the watermarks and every token change, read again), and one
// per check while the listener is down. Changes are state writes of
// nsRevocations: each returns once every replica confirmed it saw it, so
// a change acknowledged on one replica is seen by every later check on
// every replica.
type revocations struct {
	b     *Backend
	cache *store.Cached[*revoked]
}

// revoked is what the tables held when read.
type revoked struct {
	w      store.Watermarks
	tokens map[string]store.TokenChange
}

func newRevocations(b *Backend) *revocations {
	r := &revocations{b: b}
	r.cache = store.NewCached(b.state, nsRevocations, func(ctx context.Context, _ *revoked) (*revoked, error) { return r.read(ctx) })
	return r
}

// read reads the watermarks and every token change in one round trip.
func (r *revocations) read(ctx context.Context) (*revoked, error) {
	ctx, cancel := r.b.ctx(ctx)
	defer cancel()
	var pb pgx.Batch
	pb.Queue(`SELECT revoked_before, expired_before, expired_at FROM flamock_watermarks WHERE id = 1`)
	pb.Queue(`SELECT jti, revoked, expires FROM flamock_token_changes`)
	br := r.b.pool.SendBatch(ctx, &pb)
	defer br.Close()
	out := &revoked{tokens: map[string]store.TokenChange{}}
	var at *time.Time
	if err := br.QueryRow().Scan(&out.w.RevokedBefore, &out.w.ExpiredBefore, &at); err != nil {
		return nil, r.b.failed("read the token revocations", err)
	}
	if at != nil {
		out.w.ExpiredAt = *at
	}
	rows, err := br.Query()
	if err != nil {
		return nil, r.b.failed("read the token revocations", err)
	}
	var (
		jti string
		tc  store.TokenChange
		exp *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&jti, &tc.Revoked, &exp}, func() error {
		tc.Expires = time.Time{}
		if exp != nil {
			tc.Expires = *exp
		}
		out.tokens[jti] = tc
		return nil
	})
	if err == nil {
		err = br.Close()
	}
	if err != nil {
		return nil, r.b.failed("read the token revocations", err)
	}
	return out, r.b.failed("", nil)
}

// Watermarks returns the current watermarks.
func (r *revocations) Watermarks(ctx context.Context) (store.Watermarks, error) {
	v, err := r.cache.Get(ctx)
	if err != nil {
		return store.Watermarks{}, err
	}
	return v.w, nil
}

// Token returns the change recorded for jti.
func (r *revocations) Token(ctx context.Context, jti string) (store.TokenChange, bool, error) {
	v, err := r.cache.Get(ctx)
	if err != nil {
		return store.TokenChange{}, false, err
	}
	tc, ok := v.tokens[jti]
	return tc, ok, nil
}

// write runs one change (a statement whose rows it counts, as $n) and
// waits for every replica's confirmation (state.write adds the last two
// parameters: the notification).
func (r *revocations) write(ctx context.Context, what, change string, args ...any) error {
	n := len(args)
	sql := `WITH w AS (` + change + ` RETURNING 1) SELECT (SELECT count(*) FROM w), pg_notify($` + strconv.Itoa(n+1) + `, $` + strconv.Itoa(n+2) + `)`
	_, err := r.b.state.write(ctx, what, nsRevocations, sql, args...)
	return err
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
