package journal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A call's bodies are kept by reference and settled (redacted, cut) only
// when the event is read: Events, a subscriber, the Writer.
func TestJournal_BodiesSettledWhenRead(t *testing.T) {
	req := []byte(`{"name":"a","password":"hunter2"}`)
	const wantReq = `{"name":"a","password":"REDACTED"}`
	api := func() *API {
		a := &API{Method: "PUT", Path: "/x", Verdict: VerdictOK, Status: 200}
		a.SetBodies(req, []byte(`{"ok":true}`))
		return a
	}

	j := New(Config{})
	a := api()
	j.Append(Event{Kind: KindAPI, API: a})
	if a.RequestBody != "" || !a.unsettled {
		t.Fatalf("after Append, RequestBody = %q, unsettled %v; want nothing made yet", a.RequestBody, a.unsettled)
	}
	evs := j.Events(0)
	if got := evs[0].API; got.RequestBody != wantReq || got.ResponseBody != `{"ok":true}` || got.rawRequest != nil || got.unsettled {
		t.Errorf("Events: %+v; want request %q, response {\"ok\":true}, references dropped", got, wantReq)
	}
	Event{API: a}.Settle() // again: nothing changes
	if a.RequestBody != wantReq {
		t.Errorf("settled twice: %q", a.RequestBody)
	}

	var buf bytes.Buffer
	j = New(Config{Writer: &buf})
	ch, stop := j.Subscribe(1)
	j.Append(Event{Kind: KindAPI, API: api()})
	stop()
	if e := <-ch; e.API.RequestBody != wantReq {
		t.Errorf("subscriber got request body %q; want %q", e.API.RequestBody, wantReq)
	}
	var line Event
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil || line.API.RequestBody != wantReq {
		t.Errorf("Writer line %s (%v); want request body %q", buf.Bytes(), err, wantReq)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("the Writer got the password: %s", buf.String())
	}
	Event{Kind: KindToken, Token: &Token{}}.Settle() // no API: nothing to do
}

// SubscribeFunc sends only the events keep selects, settles only those,
// and says which kept event it last had no room for.
func TestJournal_SubscribeFunc(t *testing.T) {
	j := New(Config{})
	refused := func(e Event) bool { return e.API != nil && e.API.Verdict != VerdictOK }
	ch, missed, stop := j.SubscribeFunc(2, refused)
	defer stop()
	var ok, no []*API
	for i := range 6 {
		a := &API{Verdict: VerdictOK, Status: 200}
		if i%2 == 1 {
			a.Verdict, a.Status = VerdictRejected, 400
			no = append(no, a)
		} else {
			ok = append(ok, a)
		}
		a.SetBodies([]byte("body"), nil)
		j.Append(Event{Kind: KindAPI, API: a})
	}
	if m := missed(); m != 6 {
		t.Errorf("missed = %d; want 6 (the third refusal: the channel holds two)", m)
	}
	for _, want := range []uint64{2, 4} {
		if e := <-ch; e.Seq != want || e.API.RequestBody != "body" {
			t.Errorf("got seq %d (request body %q); want seq %d, settled", e.Seq, e.API.RequestBody, want)
		}
	}
	select {
	case e := <-ch:
		t.Errorf("got seq %d; want nothing more", e.Seq)
	default:
	}
	for i, a := range ok {
		if !a.unsettled {
			t.Errorf("success %d was settled; only what a reader takes is", i)
		}
	}
	if !no[2].unsettled {
		t.Error("the refusal with no room was settled")
	}
}

func TestJournal_SubscribeFuncMissedNone(t *testing.T) {
	j := New(Config{})
	ch, missed, stop := j.SubscribeFunc(4, nil)
	j.Append(Event{Kind: KindAPI, API: &API{}})
	if m := missed(); m != 0 {
		t.Errorf("missed = %d; want 0", m)
	}
	stop()
	stop()
	n := 0
	for range ch {
		n++
	}
	if n != 1 {
		t.Errorf("got %d events; want 1", n)
	}
}
