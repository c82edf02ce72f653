package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/fault"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/pgtest"
	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

func apiEvent(client, path string) journal.Event {
	return journal.Event{Kind: journal.KindAPI, API: &journal.API{Method: "GET", Path: path, ClientID: client, Verdict: journal.VerdictOK, Status: 200}}
}

// Two replicas append concurrently; a third follows live: it sees every
// event once, in sequence order, and Events reads them back in the same
// order on any replica.
func TestJournalFollowsEveryReplica(t *testing.T) {
	rs := replicas(t, 3)
	waitFor(t, "follower started", func() bool { return rs[2].journal.Err() == nil && rs[2].listen.up() })
	ch, stop := rs[2].Journal().Subscribe(10_000)
	defer stop()
	const each = 300
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range each {
				rs[w].Journal().Append(apiEvent(fmt.Sprintf("c%d", w), fmt.Sprintf("/p/%d", i)))
			}
		})
	}
	wg.Wait()
	var got []journal.Event
	deadline := time.After(20 * time.Second)
	for len(got) < 2*each {
		select {
		case e := <-ch:
			got = append(got, e)
		case <-deadline:
			t.Fatalf("the follower saw %d of %d events", len(got), 2*each)
		}
	}
	perClient := map[string]int{}
	for i, e := range got {
		if i > 0 && e.Seq != got[i-1].Seq+1 {
			t.Fatalf("event %d has seq %d after %d: not in order or a gap", i, e.Seq, got[i-1].Seq)
		}
		want := fmt.Sprintf("/p/%d", perClient[e.API.ClientID])
		if e.API.Path != want {
			t.Fatalf("client %s's events out of order: %s, want %s", e.API.ClientID, e.API.Path, want)
		}
		perClient[e.API.ClientID]++
	}
	back := rs[0].Journal().Events(0)
	if len(back) != 2*each || back[0].Seq != got[0].Seq || back[len(back)-1].Seq != got[len(got)-1].Seq {
		t.Fatalf("Events(0) read %d events", len(back))
	}
	if evs := rs[1].Journal().Events(got[len(got)-2].Seq); len(evs) != 1 {
		t.Fatalf("Events(since) = %d events, want 1", len(evs))
	}
	rs[1].Journal().Reset()
	if evs := rs[0].Journal().Events(0); len(evs) != 0 {
		t.Fatalf("after Reset: %d events", len(evs))
	}
	rs[0].Journal().Append(apiEvent("c", "/after"))
	waitFor(t, "the event after Reset", func() bool { return len(rs[1].Journal().Events(0)) == 1 })
	if e := rs[1].Journal().Events(0)[0]; e.Seq <= got[len(got)-1].Seq {
		t.Fatalf("sequence numbers restarted after Reset: %d", e.Seq)
	}
}

// Replicas starting together share one key: the first one's.
func TestSharedKey(t *testing.T) {
	rs := replicas(t, 3)
	keys := make([][]byte, 3)
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() {
			k, err := rs[i].SharedKey(bg, "signing", func() ([]byte, error) { return []byte(fmt.Sprintf("key of %d", i)), nil })
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	if !bytes.Equal(keys[0], keys[1]) || !bytes.Equal(keys[1], keys[2]) || !bytes.HasPrefix(keys[0], []byte("key of ")) {
		t.Fatalf("keys %q", keys)
	}
	wantErr := errors.New("no entropy")
	if _, err := rs[0].SharedKey(bg, "other", func() ([]byte, error) { return nil, wantErr }); err != wantErr {
		t.Fatalf("SharedKey with a failing create: %v", err)
	}
}

// A database whose schema is newer than this flamock is refused in words;
// opening an up-to-date one migrates nothing.
func TestMigrations(t *testing.T) {
	rs := replicas(t, 1)
	dsn := rs[0].pool.Config().ConnString()
	if _, err := rs[0].pool.Exec(bg, `INSERT INTO flamock_schema (version) VALUES ($1)`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(bg, dsn, store.Options{})
	want := fmt.Sprintf("the database's schema is version %d, newer than this flamock knows (%d): upgrade flamock", SchemaVersion()+1, SchemaVersion())
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("Open = %v; want ...%s", err, want)
	}
	if _, err := Open(bg, "postgres://nobody@127.0.0.1:1/x?connect_timeout=1", store.Options{}); err == nil {
		t.Fatal("Open of an unreachable database: no error")
	}
	if _, err := Open(bg, "postgres://a:secret@host:notaport/db", store.Options{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open of a bad URL: %v (the password must not be shown)", err)
	}
	if _, err := store.Open(bg, "postgresql://nobody@127.0.0.1:1/x?connect_timeout=1", store.Options{}); err == nil || strings.Contains(err.Error(), "no backend") {
		t.Fatalf("store.Open of postgresql://: %v", err)
	}
}

// ownCluster starts a cluster of t's own (the test stops it, so it cannot
// share one) and opens a Backend on it, closed when t ends; it skips t
// with -short.
func ownCluster(t *testing.T) (*pgtest.Server, *Backend) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real PostgreSQL; skipped with -short")
	}
	pg := pgtest.Start(t)
	b, err := Open(bg, pg.DB(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return pg, b
}

// PostgreSQL stopped: every part answers ErrUnavailable with a retry hint,
// Status says why, journal events wait; PostgreSQL back: everything works
// again with the same Backend, the queued events are stored.
func TestOutageAndRecovery(t *testing.T) {
	pg, b := ownCluster(t)
	if _, err := b.Resources().Put(bg, "/before", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	checkUnavailable(t, b)
	b.Journal().Append(apiEvent("c", "/during"))
	st := b.Resources().Status()
	if len(st.Problems) == 0 || !strings.HasPrefix(st.Problems[0], "PostgreSQL unavailable since ") {
		t.Fatalf("Status during the outage: %+v", st)
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a write after the restart", func() bool {
		_, err := b.Resources().Put(bg, "/after", []byte("new"))
		return err == nil
	})
	if got, ok, err := b.Resources().Get(bg, "/before"); err != nil || !ok || string(got) != "kept" {
		t.Fatalf("the write acknowledged before the crash: %q, %v, %v", got, ok, err)
	}
	if err := b.Replay().Add(bg, "c", "j", time.Now(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event queued during the outage", func() bool {
		evs := b.Journal().Events(0)
		return len(evs) == 1 && evs[0].API.Path == "/during"
	})
	waitFor(t, "health OK again", func() bool { return len(b.Resources().Status().Problems) == 0 })
	if b.Journal().Err() != nil || b.Journal().Unwritten() != 0 {
		t.Fatalf("journal after recovery: %v, %d unwritten", b.Journal().Err(), b.Journal().Unwritten())
	}
}

func checkUnavailable(t *testing.T, b *Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	_, err := b.Resources().Put(ctx, "/during", []byte("x"))
	if d, ok := store.RetryAfter(err); !ok || d != time.Second {
		t.Fatalf("Put during the outage: %v (retry %v, %v)", err, d, ok)
	}
	var ue *store.UnavailableError
	if !errors.As(err, &ue) || ue.Backend != "postgres" || !strings.HasPrefix(ue.Error(), "the postgres state store is unavailable: store the resources: ") {
		t.Fatalf("Put error: %v", err)
	}
	if _, _, err := b.Resources().Get(ctx, "/before"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get: %v", err)
	}
	if err := b.Replay().Add(ctx, "c", "j", time.Now(), time.Now().Add(time.Minute)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Replay.Add: %v (a jti that cannot be recorded must be refused)", err)
	}
	// The caches are read through once the listener saw the outage (until
	// then they hold what the database held: nothing can change meanwhile).
	waitFor(t, "the listener down", func() bool { return !b.listen.up() })
	if _, _, err := b.Faults().Take(ctx, 0, "GET", "/x", ""); !strings.HasPrefix(fmt.Sprint(err), "the postgres state store is unavailable: read the queued faults: ") {
		t.Fatalf("Faults.Take: %v", err)
	}
	if !b.Faults().Pending(0) {
		t.Fatal("Faults.Pending during the outage = false; want true (Take says why)")
	}
	if _, err := b.Revocations().Watermarks(ctx); !strings.HasPrefix(fmt.Sprint(err), "the postgres state store is unavailable: read the token revocations: ") {
		t.Fatalf("Revocations.Watermarks: %v", err)
	}
	if err := b.Revocations().RevokeBefore(ctx, 1); !strings.HasPrefix(fmt.Sprint(err), "the postgres state store is unavailable: revoke tokens: ") {
		t.Fatalf("Revocations.RevokeBefore: %v", err)
	}
	if err := b.Faults().Add(ctx, 0, fault.Fault{Status: 500}); !strings.HasPrefix(fmt.Sprint(err), "the postgres state store is unavailable: queue faults: ") {
		t.Fatalf("Faults.Add: %v", err)
	}
	if err := b.State().Save(ctx, "ns", "k", nil); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("State.Save: %v", err)
	}
}

// A database at schema version 1 with a fault queued is migrated to the
// newest version at Open; the fault is kept and taken once.
func TestMigrationFromVersion1(t *testing.T) {
	dsn := newDB(t)
	conn, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(bg)
	for _, sql := range []string{
		`CREATE TABLE flamock_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
		migrations[0],
		`INSERT INTO flamock_schema (version) VALUES (1)`,
		`INSERT INTO flamock_faults (target, client, fault, left_) VALUES (0, '', '{"status":503,"count":2}', 2)`,
	} {
		if _, err := conn.Exec(bg, sql); err != nil {
			t.Fatal(err)
		}
	}
	b, err := Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var v int
	if err := conn.QueryRow(bg, `SELECT max(version) FROM flamock_schema`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version after Open = %d, %v; want %d", v, err, SchemaVersion())
	}
	for i, want := range []bool{true, true, false} {
		if f, ok, err := b.Faults().Take(bg, fault.API, "GET", "/x", ""); ok != want || err != nil || (ok && f.Status != 503) {
			t.Fatalf("take %d of the fault queued before the migration = %+v, %v, %v; want %v", i, f, ok, err, want)
		}
	}
}
