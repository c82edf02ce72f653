package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/store"
	"github.com/jackc/pgx/v5"
)

// stall holds a replica's statement in flight, so that the next Adds
// queue and go together in one batch: it opens a transaction on its own
// connection that runs lock (it takes what the statement needs), starts
// an Add of ("c", jti) and waits until its statement waits for the lock.
// Ending the transaction (commit or rollback) lets it go on; the stalled
// Add's verdict is on result.
type stall struct {
	tx     pgx.Tx
	watch  *pgx.Conn // outside tx: pg_stat_activity is read once per transaction
	result chan error
}

func stallCommitter(t *testing.T, b *Backend, dsn, jti, lock string, args ...any) *stall {
	t.Helper()
	var conns [2]*pgx.Conn
	for i := range conns {
		c, err := pgx.Connect(bg, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(bg) })
		conns[i] = c
	}
	tx, err := conns[0].Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(bg, lock, args...); err != nil {
		t.Fatal(err)
	}
	s := &stall{tx: tx, watch: conns[1], result: make(chan error, 1)}
	go func() { s.result <- b.Replay().Add(bg, "c", jti, time.Now(), time.Now().Add(time.Minute)) }()
	s.waitBlocked(t)
	return s
}

// sqlLockWaiters counts the backends waiting for a lock: the committer's
// (while it parses its statement pg_stat_activity shows no query yet).
const sqlLockWaiters = `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`

// waitBlocked waits until the committer's statement waits for a lock.
func (s *stall) waitBlocked(t *testing.T) {
	t.Helper()
	waitFor(t, "the committer's statement waiting for the lock", func() bool {
		var n int
		err := s.watch.QueryRow(bg, sqlLockWaiters).Scan(&n)
		return err == nil && n == 1
	})
}

// queueAdds starts an Add of each jti of client "c", one after the other
// in that order, each once the one before is queued behind the stalled
// statement; it returns their verdicts' channels.
func queueAdds(t *testing.T, b *Backend, jtis ...string) []chan error {
	t.Helper()
	out := make([]chan error, len(jtis))
	now := time.Now()
	for i, jti := range jtis {
		out[i] = make(chan error, 1)
		go func() { out[i] <- b.Replay().Add(bg, "c", jti, now, now.Add(time.Minute)) }()
		waitFor(t, fmt.Sprintf("Add %d queued", i+1), func() bool {
			b.replay.mu.Lock()
			defer b.replay.mu.Unlock()
			return len(b.replay.queue) == i+1
		})
	}
	return out
}

func verdict(t *testing.T, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("no verdict within 30 s")
		return nil
	}
}

// A jti repeated inside one batch: the first Add of it (in queue order)
// is accepted, the later ones are refused as replays, and a jti already
// recorded is refused however often the batch holds it. The batch is made
// by stalling a statement on a row lock while the Adds queue, so all of
// them go in the next statement.
func TestReplayBatchRepeatedJTI(t *testing.T) {
	dsn := newDB(t)
	b, err := Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now()
	if err := b.Replay().Add(bg, "c", "old", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rounds := []struct {
		jtis []string
		want []error
		rows int // in the table after the round
	}{
		{[]string{"dup", "new", "dup", "old", "dup", "old"}, []error{nil, nil, store.ErrReplayed, store.ErrReplayed, store.ErrReplayed, store.ErrReplayed}, 4},
		// One key, three times: the batch's statement is the one-row insert.
		{[]string{"one", "one", "one"}, []error{nil, store.ErrReplayed, store.ErrReplayed}, 6},
		{[]string{"new", "new"}, []error{store.ErrReplayed, store.ErrReplayed}, 7},
	}
	for n, round := range rounds {
		stallJTI := fmt.Sprint("stall-", n)
		key := replayKey("c", stallJTI)
		s := stallCommitter(t, b, dsn, stallJTI, `INSERT INTO flamock_jti (key, expires) VALUES ($1, now() + interval '1 minute')`, key[:])
		got := queueAdds(t, b, round.jtis...)
		if err := s.tx.Rollback(bg); err != nil { // the stalled insert goes on and inserts its row
			t.Fatal(err)
		}
		if err := verdict(t, s.result); err != nil {
			t.Fatalf("round %d: the stalled Add: %v; want nil (the row that held it was rolled back)", n, err)
		}
		for i, c := range got {
			if err, want := verdict(t, c), round.want[i]; !errors.Is(err, want) || (want == nil) != (err == nil) {
				t.Errorf("round %d: Add %d of jti %q = %v; want %v", n, i+1, round.jtis[i], err, want)
			}
		}
		if n, _ := b.Replay().Len(bg); n != round.rows {
			t.Fatalf("round %d: Len = %d; want %d", n, n, round.rows)
		}
	}
}

// A batch that fails answers every Add in it ErrUnavailable with the
// retry hint, records none of its keys (each is accepted when sent again
// later) and never accepts one. The committer's statements are stalled
// behind a table lock and cancelled by PostgreSQL (pg_cancel_backend).
func TestReplayBatchFails(t *testing.T) {
	dsn := newDB(t)
	b, err := Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := stallCommitter(t, b, dsn, "stall", `LOCK TABLE flamock_jti IN ACCESS EXCLUSIVE MODE`)
	jtis := []string{"a", "b", "a", "c"}
	got := queueAdds(t, b, jtis...)
	cancelWaiting := func() {
		t.Helper()
		var n int
		if err := s.watch.QueryRow(bg, `SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("cancel the stalled statement: %d, %v", n, err)
		}
	}
	cancelWaiting() // the stalled Add's batch
	if err := verdict(t, s.result); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("the cancelled Add: %v; want ErrUnavailable", err)
	}
	s.waitBlocked(t) // the batch of the queued four, behind the lock
	cancelWaiting()
	for i, c := range got {
		err := verdict(t, c)
		if d, ok := store.RetryAfter(err); !ok || d != time.Second || !strings.Contains(err.Error(), "record the assertion's jti: ") {
			t.Errorf("Add %d of jti %q = %v (retry %v, %v); want ErrUnavailable, retry after 1s", i+1, jtis[i], err, d, ok)
		}
	}
	if err := s.tx.Commit(bg); err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"stall", "a", "b", "c"} {
		if err := b.Replay().Add(bg, "c", jti, time.Now(), time.Now().Add(time.Minute)); err != nil {
			t.Errorf("Add of %q after the failed batch: %v; want nil (it was not recorded)", jti, err)
		}
	}
	if st := b.Resources().Status(); len(st.Problems) != 0 {
		t.Errorf("Status after a batch succeeded again: %v; want no problem", st.Problems)
	}
}

// Three replicas, 96 concurrent callers, the same 300 jtis in a shuffled
// order each: every jti is accepted exactly once across the replicas and
// no Add fails (batches sharing keys take them in one order: no
// deadlock, no 503).
func TestReplayBatchesAcrossReplicas(t *testing.T) {
	rs := replicas(t, 3)
	const jtis, callers = 300, 96
	now := time.Now()
	var accepted [jtis]atomic.Int32
	var failed atomic.Int32
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for _, j := range rand.Perm(jtis)[:jtis/3] {
				switch err := rs[c%3].Replay().Add(bg, "client", fmt.Sprint("jti-", j), now, now.Add(time.Minute)); {
				case err == nil:
					accepted[j].Add(1)
				case !errors.Is(err, store.ErrReplayed):
					failed.Add(1)
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	seen := 0
	for j := range accepted {
		switch n := accepted[j].Load(); n {
		case 0:
		case 1:
			seen++
		default:
			t.Errorf("jti-%d accepted %d times; want once", j, n)
		}
	}
	n, err := rs[0].Replay().Len(bg)
	if err != nil || n != seen {
		t.Fatalf("Len = %d, %v; want %d, the jtis accepted", n, err, seen)
	}
}

// Close answers the Adds queued behind a statement in flight ErrClosed
// (never an accepted jti), lets that statement finish, and refuses every
// later Add with ErrClosed.
func TestReplayClosed(t *testing.T) {
	dsn := newDB(t)
	b, err := Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := stallCommitter(t, b, dsn, "stall", `LOCK TABLE flamock_jti IN ACCESS EXCLUSIVE MODE`)
	got := queueAdds(t, b, "queued")
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	if err := verdict(t, got[0]); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("the Add queued at Close: %v; want ErrClosed", err)
	}
	if err := s.tx.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if err := verdict(t, s.result); err != nil {
		t.Fatalf("the Add in flight at Close: %v; want nil", err)
	}
	if err := verdict(t, closed); err != nil {
		t.Fatal(err)
	}
	if err := b.Replay().Add(bg, "c", "after", time.Now(), time.Now().Add(time.Minute)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Add after Close: %v; want ErrClosed", err)
	}
}
