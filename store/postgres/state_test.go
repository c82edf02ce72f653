package postgres

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// A replica that listens on the schema but never confirms a write (a
// stopped process) makes the write answer ErrUnavailable, naming it: the
// value is stored, but no replica may be shown a stale one as acknowledged.
func TestStateUnconfirmedReplica(t *testing.T) {
	rs := replicas(t, 2)
	a := rs[0].state
	waitFor(t, "listeners up", func() bool { return rs[0].listen.up() && rs[1].listen.up() })
	cfg, err := pgx.ParseConfig(rs[0].listen.cfg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams = maps.Clone(rs[0].listen.cfg.RuntimeParams)
	cfg.RuntimeParams["application_name"] = a.scope + "stuck"
	stuck, err := pgx.ConnectConfig(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close(bg)
	err = a.Save(bg, "clients", "c1", []byte("v1"))
	want := fmt.Sprintf("the postgres state store is unavailable: save run-time state: stored, but 1 of 3 replicas did not confirm they saw it within 2s (%sstuck); retry", a.scope)
	if d, ok := store.RetryAfter(err); !ok || d != retryAfter || err.Error() != want {
		t.Fatalf("Save with a replica that does not confirm:\n got %v (retry %v, %v)\nwant %s", err, d, ok, want)
	}
	if got, err := rs[1].State().Load(bg, "clients"); err != nil || string(got["c1"]) != "v1" {
		t.Fatalf("Load on the other replica = %q, %v; want the stored value", got, err)
	}
	stuck.Close(bg)
	waitFor(t, "the stuck session gone from pg_stat_activity", func() bool {
		var n int
		err := rs[0].pool.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, a.scope+"stuck").Scan(&n)
		return err == nil && n == 0
	})
	if err := a.Save(bg, "clients", "c1", []byte("v2")); err != nil {
		t.Fatalf("Save once the stuck replica is gone: %v", err)
	}
}

// PostgreSQL stopped: Version is not ok (callers read, and reading fails
// with ErrUnavailable); back: Version is ok again with a new number (what
// was cached before the outage is dropped).
func TestStateVersionOutage(t *testing.T) {
	pg, b := ownCluster(t)
	waitFor(t, "Version ok", func() bool { _, ok := b.State().Version("m"); return ok })
	before, _ := b.State().Version("m")
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Version not ok during the outage", func() bool { _, ok := b.State().Version("m"); return !ok })
	_, err := b.State().Load(bg, "m")
	var ue *store.UnavailableError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "the postgres state store is unavailable: load run-time state: ") {
		t.Fatalf("Load during the outage: %v", err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Version ok after the restart", func() bool { _, ok := b.State().Version("m"); return ok })
	if after, _ := b.State().Version("m"); after == before {
		t.Fatalf("Version after the outage = %d, as before it: a cache would survive lost notifications", after)
	}
}

// The cached read (Version) against a read of the namespace (Load, what a
// cache-less registry would do per request), and a write with its
// confirmation by two replicas.
func BenchmarkState(b *testing.B) {
	rs := replicas(b, 2)
	st := rs[0].State()
	for i := range 10 {
		if err := st.Save(bg, "clients", fmt.Sprintf("client-%d", i), make([]byte, 1500)); err != nil {
			b.Fatal(err)
		}
	}
	waitForB(b, func() bool { _, ok := st.Version("clients"); return ok })
	b.Run("Version", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := st.Version("clients"); !ok {
				b.Fatal("not ok")
			}
		}
	})
	b.Run("Load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m, err := st.Load(bg, "clients"); err != nil || len(m) != 10 {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("Save", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := st.Save(bg, "clients", "client-0", []byte("v")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func waitForB(b *testing.B, cond func() bool) {
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("not within 10 s")
}

// BenchmarkTokenSharedClient is BenchmarkToken's PostgreSQL case with the
// client added at run time through the shared registry (State), as a
// sandbox's CI job adds its client: round-trips/op shows what the client
// lookup costs on the token endpoint's path (the jti insert is one).
func BenchmarkTokenSharedClient(b *testing.B) {
	const id = "self_service_chaman_403019_benchshare"
	bundle, pool := tokenRequests(b, id)
	pg, err := Open(context.Background(), newDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	cfg := mockoauth.Config{Audience: benchAudience, Replay: pg.Replay(), Faults: pg.Faults(), Revocations: pg.Revocations(), State: pg.State()}
	srv, err := mockoauth.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.AddClient(mockoauth.Client{ID: id, Certificates: []*x509.Certificate{bundle.Cert}, Scopes: []string{"scope:bench"}}); err != nil {
		b.Fatal(err)
	}
	n0, f0 := pg.pool.Stat().AcquireCount(), pg.fast.Stat().AcquireCount()
	postTokens(b, srv, pool)
	b.ReportMetric(float64(pg.pool.Stat().AcquireCount()+pg.fast.Stat().AcquireCount()-n0-f0)/float64(b.N), "round-trips/op")
}
