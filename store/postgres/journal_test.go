package postgres

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// Two replicas write and both follow: each subscriber sees every event of
// both once, in sequence order, whether a replica's own batches were
// handed over from memory (nothing stored in between) or read back (the
// other replica's in between). A replica that writes alone reads nothing
// back (at most the follower's once-a-second look).
func TestJournalOwnEventsNotReadBack(t *testing.T) {
	rs := replicas(t, 2)
	waitFor(t, "listeners up", func() bool { return rs[0].listen.up() && rs[1].listen.up() })
	var chs [2]<-chan journal.Event
	for i := range rs {
		ch, stop := rs[i].Journal().Subscribe(10_000)
		defer stop()
		chs[i] = ch
	}
	const each = 100
	got := [2][]journal.Event{}
	receive := func(r, n int) { // until replica r's subscriber has n events
		deadline := time.After(20 * time.Second)
		for len(got[r]) < n {
			select {
			case e := <-chs[r]:
				got[r] = append(got[r], e)
			case <-deadline:
				t.Fatalf("replica %d's subscriber saw %d of %d events", r, len(got[r]), n)
			}
		}
	}
	start := time.Now()
	before := acquires(rs[0])
	for i := range each {
		if e := rs[0].Journal().Append(apiEvent("c0", fmt.Sprintf("/alone/%d", i))); e.Seq == 0 {
			t.Fatalf("append %d: not stored within %v", i, appendWait)
		}
	}
	// Counted once its own subscriber has every event: by then any read
	// back of them has been made.
	receive(0, each)
	ticks := int64(time.Since(start)/time.Second) + 2
	if n := acquires(rs[0]) - before; n > ticks {
		t.Errorf("%d appends of a replica writing alone took %d connections of its pool (reads back); want at most %d (the follower's ticks)", each, n, ticks)
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range each {
				rs[w].Journal().Append(apiEvent(fmt.Sprintf("c%d", w), fmt.Sprintf("/both/%d", i)))
			}
		})
	}
	wg.Wait()
	for r, ch := range chs {
		receive(r, 3*each)
		got := got[r]
		for i, e := range got {
			if i > 0 && e.Seq != got[i-1].Seq+1 {
				t.Fatalf("replica %d: event %d has seq %d after %d: out of order, a gap or twice", r, i, e.Seq, got[i-1].Seq)
			}
		}
		if got[0].API.Path != "/alone/0" || got[each-1].API.Path != fmt.Sprintf("/alone/%d", each-1) {
			t.Fatalf("replica %d: first events %s ... %s", r, got[0].API.Path, got[each-1].API.Path)
		}
		select {
		case e := <-ch:
			t.Fatalf("replica %d: an event more: %d %s", r, e.Seq, e.API.Path)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// A journal event is compressed with lz4 when the server has it, else
// kept uncompressed (schema version 3): an API call's event with its
// bodies is just over the size at which PostgreSQL compresses a row, and
// pglz cost it more CPU per event.
func TestJournalCompression(t *testing.T) {
	rs := replicas(t, 1)
	body := bytes.Repeat([]byte(`{"name":"Safety at work, basic course","startDate":"2023-03-01"},`), 40)
	e := apiEvent("c", "/big")
	e.API.SetBodies(body, body)
	stored := rs[0].Journal().Append(e)
	if stored.Seq == 0 {
		t.Fatalf("not stored within %v", appendWait)
	}
	var size int
	var method *string
	err := rs[0].pool.QueryRow(bg, `SELECT octet_length(event), pg_column_compression(event) FROM flamock_journal WHERE seq = $1`, int64(stored.Seq)).Scan(&size, &method)
	if err != nil {
		t.Fatal(err)
	}
	if size <= 2048 {
		t.Fatalf("event of %d bytes; the test needs one PostgreSQL would compress", size)
	}
	_, noLZ4 := rs[0].pool.Exec(bg, `SET default_toast_compression = lz4`)
	switch {
	case noLZ4 == nil && (method == nil || *method != "lz4"):
		t.Errorf("event of %d bytes compressed with %v; want lz4", size, deref(method))
	case noLZ4 != nil && method != nil:
		t.Errorf("server without lz4 (%v): event of %d bytes compressed with %s; want none", noLZ4, size, *method)
	}
	var got journal.Event
	if evs := rs[0].Journal().Events(stored.Seq - 1); len(evs) != 1 {
		t.Fatalf("Events read back %d events; want 1", len(evs))
	} else {
		got = evs[0]
	}
	if got.API.RequestBody != stored.API.RequestBody || got.API.ResponseBody != stored.API.ResponseBody || len(got.API.RequestBody) < 2000 {
		t.Fatalf("bodies read back differ: %d and %d bytes; stored %d and %d", len(got.API.RequestBody), len(got.API.ResponseBody), len(stored.API.RequestBody), len(stored.API.ResponseBody))
	}
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}
