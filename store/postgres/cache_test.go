package postgres

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// acquires is how many connections b's pool handed out so far: each
// database call takes one, a check answered from memory none.
func acquires(b *Backend) int64 { return b.pool.Stat().AcquireCount() }

// The checks of every API call (watermarks, a token's change, faults
// pending, a take that finds nothing) make no round trip while nothing
// changed; after a change on another replica, the next check reads once.
func TestCacheNoRoundTrip(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	checks := func() {
		t.Helper()
		if _, err := b.Revocations().Watermarks(bg); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Revocations().Token(bg, "j"); err != nil {
			t.Fatal(err)
		}
		if b.Faults().Pending(fault.API) || b.Faults().Pending(fault.Token) {
			t.Fatal("Pending with no fault queued")
		}
		if _, ok, err := b.Faults().Take(bg, fault.API, "GET", "/x", "c"); ok || err != nil {
			t.Fatalf("Take with no fault queued = %v, %v", ok, err)
		}
	}
	checks() // reads both caches
	before := acquires(b)
	for range 100 {
		checks()
	}
	if n := acquires(b) - before; n != 0 {
		t.Fatalf("100 rounds of checks with nothing changed took %d connections; want 0", n)
	}
	if err := a.Revocations().RevokeBefore(bg, 42); err != nil {
		t.Fatal(err)
	}
	before = acquires(b)
	for range 10 {
		if w, err := b.Revocations().Watermarks(bg); err != nil || w.RevokedBefore != 42 {
			t.Fatalf("Watermarks after a revocation on the other replica = %+v, %v", w, err)
		}
	}
	if n := acquires(b) - before; n != 1 {
		t.Fatalf("10 checks after one change took %d connections; want 1 (one read)", n)
	}
}

// A change acknowledged on one replica is seen by the very next check on
// the other, with no wait, round after round (a write that returned
// before the other replica dropped its cache fails this).
func TestCacheExactAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	now := time.Now()
	for i := range 30 {
		a, b := rs[i%2], rs[1-i%2]
		b.Revocations().Watermarks(bg) // cached on b
		b.Faults().Pending(fault.API)
		stamp := int64(100 + i)
		if err := a.Revocations().RevokeBefore(bg, stamp); err != nil {
			t.Fatal(err)
		}
		if w, err := b.Revocations().Watermarks(bg); err != nil || w.RevokedBefore != stamp {
			t.Fatalf("round %d: Watermarks right after RevokeBefore(%d) on the other replica = %+v, %v", i, stamp, w, err)
		}
		jti := fmt.Sprintf("j%d", i)
		if err := a.Revocations().Change(bg, jti, store.TokenChange{Revoked: true}, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if c, ok, err := b.Revocations().Token(bg, jti); err != nil || !ok || !c.Revoked {
			t.Fatalf("round %d: Token right after its revocation on the other replica = %+v, %v, %v", i, c, ok, err)
		}
		detail := fmt.Sprintf("round %d", i)
		if err := a.Faults().Add(bg, fault.API, fault.Fault{Status: 503, Detail: detail}); err != nil {
			t.Fatal(err)
		}
		if !b.Faults().Pending(fault.API) {
			t.Fatalf("round %d: Pending right after Add on the other replica = false", i)
		}
		if f, ok, err := b.Faults().Take(bg, fault.API, "GET", "/x", ""); err != nil || !ok || f.Detail != detail {
			t.Fatalf("round %d: Take right after Add on the other replica = %+v, %v, %v", i, f, ok, err)
		}
		// a's cache still shows the fault b used up: Pending may say
		// true, the take finds nothing left and forgets it.
		if _, ok, err := a.Faults().Take(bg, fault.API, "GET", "/x", ""); ok || err != nil {
			t.Fatalf("round %d: a second Take of a fault of one request = %v, %v", i, ok, err)
		}
		if a.Faults().Pending(fault.API) {
			t.Fatalf("round %d: Pending after the used-up fault was found used up = true", i)
		}
	}
}

// While a replica's listener is down its checks read the database, so a
// change made meanwhile (which cannot wait for that replica) is seen at
// once; when the listener is back, what was cached before is not served.
func TestCacheListenerDown(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	if _, err := b.Revocations().Watermarks(bg); err != nil { // cached
		t.Fatal(err)
	}
	good := b.listen.cfg.Port
	setPort := func(p uint16) {
		b.listen.mu.Lock()
		b.listen.cfg.Port = p
		b.listen.mu.Unlock()
	}
	setPort(1) // the listener cannot connect again
	if _, err := a.pool.Exec(bg, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, b.state.id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b's listener down", func() bool { return !b.listen.up() })
	waitFor(t, "b's listener gone from pg_stat_activity", func() bool {
		var n int
		err := a.pool.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, b.state.id).Scan(&n)
		return err == nil && n == 0
	})
	if err := a.Revocations().RevokeBefore(bg, 7); err != nil {
		t.Fatalf("RevokeBefore while the other replica's listener is down: %v", err)
	}
	before := acquires(b)
	for range 3 {
		if w, err := b.Revocations().Watermarks(bg); err != nil || w.RevokedBefore != 7 {
			t.Fatalf("Watermarks while the listener is down = %+v, %v; want the change", w, err)
		}
	}
	if n := acquires(b) - before; n != 3 {
		t.Fatalf("3 checks while the listener is down took %d connections; want 3 (read through)", n)
	}
	if err := a.Revocations().RevokeBefore(bg, 9); err != nil {
		t.Fatal(err)
	}
	setPort(good)
	waitFor(t, "b's listener up again", b.listen.up)
	if w, err := b.Revocations().Watermarks(bg); err != nil || w.RevokedBefore != 9 {
		t.Fatalf("Watermarks once the listener is back = %+v, %v; want 9", w, err)
	}
}

// A replica that listens but never confirms makes a revocation or a fault
// answer ErrUnavailable, naming it (stored, but not shown to be seen
// everywhere: the caller retries).
func TestCacheUnconfirmedChange(t *testing.T) {
	rs := replicas(t, 2)
	cfg, err := pgx.ParseConfig(rs[0].listen.cfg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams = maps.Clone(rs[0].listen.cfg.RuntimeParams)
	cfg.RuntimeParams["application_name"] = rs[0].state.scope + "stuck"
	stuck, err := pgx.ConnectConfig(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close(bg)
	for _, c := range []struct {
		what string
		err  error
	}{
		{"revoke tokens", rs[0].Revocations().RevokeBefore(bg, 5)},
		{"queue faults", rs[1].Faults().Add(bg, fault.API, fault.Fault{Status: 500})},
	} {
		want := fmt.Sprintf("the postgres state store is unavailable: %s: stored, but 1 of 3 replicas did not confirm they saw it within 2s (%sstuck); retry", c.what, rs[0].state.scope)
		if d, ok := store.RetryAfter(c.err); !ok || d != retryAfter || c.err.Error() != want {
			t.Fatalf("%s with a replica that does not confirm:\n got %v (retry %v, %v)\nwant %s", c.what, c.err, d, ok, want)
		}
	}
}
