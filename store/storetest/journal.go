package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/store"
)

// RunJournal checks store.Journal: sequence numbers in order, events read
// back whole on every replica, a live follower sees every replica's
// events, Reset keeps the numbering.
func RunJournal(t *testing.T, open Opener) {
	t.Run("AppendReadBack", func(t *testing.T) { journalReadBack(t, replicas(t, open)) })
	t.Run("Follow", func(t *testing.T) { journalFollow(t, replicas(t, open)) })
	t.Run("Bodies", func(t *testing.T) { journalBodies(t, replicas(t, open)) })
}

// Bodies handed to SetBodies are read back, on every replica and by a
// follower, redacted and cut as redact.Body does: a backend that
// serializes the event settles it first.
func journalBodies(t *testing.T, bs []store.Backend) {
	ch, stop := bs[len(bs)-1].Journal().Subscribe(4)
	defer stop()
	e := apiEvent(0)
	long := make([]byte, journal.BodyLimit+10)
	for i := range long {
		long[i] = 'x'
	}
	e.API.SetBodies([]byte(`{"name":"a","password":"hunter2"}`), long)
	seq := bs[0].Journal().Append(e).Seq
	wantReq := `{"name":"a","password":"REDACTED"}`
	wantResp := string(long[:journal.BodyLimit]) + "… (2058 bytes)"
	check := func(where string, got journal.Event) {
		t.Helper()
		if got.API == nil || got.API.RequestBody != wantReq || got.API.ResponseBody != wantResp {
			t.Errorf("%s: bodies = %+v; want request %q and the response cut", where, got.API, wantReq)
		}
	}
	for i, b := range bs {
		evs := b.Journal().Events(seq - 1)
		if len(evs) != 1 {
			t.Fatalf("replica %d: Events(%d) = %d events; want 1", i, seq-1, len(evs))
		}
		check(fmt.Sprintf("replica %d", i), evs[0])
	}
	select {
	case got := <-ch:
		check("follower", got)
	case <-time.After(20 * time.Second):
		t.Fatal("the follower got nothing within 20 s")
	}
}

func apiEvent(i int) journal.Event {
	return journal.Event{Time: base.Add(time.Duration(i) * time.Millisecond), Kind: journal.KindAPI, API: &journal.API{
		Method: "PUT", Path: fmt.Sprintf("/r/%d", i), ClientID: "client-x", Verdict: journal.VerdictOK, Status: 200,
		Layers: []journal.Layer{{Name: "auth", Verdict: "pass", Detail: "é \x00 <b>"}}, DurationMS: 1.5,
	}}
}

func tokenEvent(i int) journal.Event {
	return journal.Event{Time: base.Add(time.Duration(i) * time.Millisecond), Kind: journal.KindToken, Token: &journal.Token{
		ClientID: "client-y", Verdict: journal.VerdictRefused, Status: 400, Error: "invalid_client", Stage: journal.StageJTI,
		Claims: map[string]any{"jti": "j", "exp": 1.7e9},
	}}
}

func asJSON(t *testing.T, e journal.Event) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func journalReadBack(t *testing.T, bs []store.Backend) {
	var want []journal.Event
	var last uint64
	for i := range 6 {
		e := apiEvent(i)
		if i%2 == 1 {
			e = tokenEvent(i)
		}
		got := bs[i%len(bs)].Journal().Append(e)
		if got.Seq <= last {
			t.Fatalf("Append %d: seq %d after %d; want increasing", i, got.Seq, last)
		}
		last, e.Seq = got.Seq, got.Seq
		want = append(want, e)
	}
	for i, b := range bs {
		evs := b.Journal().Events(0)
		if len(evs) != len(want) {
			t.Fatalf("replica %d: Events(0) has %d events; want %d", i, len(evs), len(want))
		}
		for k := range want {
			if g, w := asJSON(t, evs[k]), asJSON(t, want[k]); g != w {
				t.Errorf("replica %d: event %d read back\n got %s\nwant %s", i, k, g, w)
			}
		}
		if since := b.Journal().Events(want[3].Seq); len(since) != 2 || since[0].Seq != want[4].Seq {
			t.Errorf("replica %d: Events(%d) = %d events; want the last 2", i, want[3].Seq, len(since))
		}
		if err := b.Journal().Err(); err != nil {
			t.Errorf("replica %d: Err = %v; want nil", i, err)
		}
	}
	bs[0].Journal().Reset()
	for i, b := range bs {
		if evs := b.Journal().Events(0); len(evs) != 0 {
			t.Errorf("replica %d: Events after Reset = %d events; want none", i, len(evs))
		}
	}
	if e := bs[len(bs)-1].Journal().Append(apiEvent(9)); e.Seq <= last {
		t.Errorf("Append after Reset: seq %d; want more than %d", e.Seq, last)
	}
}

// A follower on the last replica sees the events appended on every
// replica, in sequence order.
func journalFollow(t *testing.T, bs []store.Backend) {
	ch, stop := bs[len(bs)-1].Journal().Subscribe(64)
	defer stop()
	var seqs []uint64
	for i := range 8 {
		seqs = append(seqs, bs[i%len(bs)].Journal().Append(apiEvent(i)).Seq)
	}
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for k, want := range seqs {
		select {
		case e, ok := <-ch:
			if !ok || e.Seq != want || e.API == nil || e.API.Path != fmt.Sprintf("/r/%d", k) {
				t.Fatalf("followed event %d = seq %d (open %v); want seq %d, path /r/%d", k, e.Seq, ok, want, k)
			}
		case <-deadline.C:
			t.Fatalf("followed %d of %d events within 20 s", k, len(seqs))
		}
	}
	stop()
	if _, ok := <-ch; ok {
		t.Errorf("the channel is open after stop; want closed")
	}
}
