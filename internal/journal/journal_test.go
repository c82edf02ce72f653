package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestJournal_OrderAndCapacity(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	j := New(Config{Capacity: 3, Writer: &buf, Now: func() time.Time { return now }})
	for i := 0; i < 5; i++ {
		j.Append(Event{Kind: KindToken, Token: &Token{ClientID: "c", Verdict: VerdictGranted, Status: 200}})
	}
	got := j.Events(0)
	if len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 {
		t.Fatalf("Events(0) = seqs %v; want 3, 4, 5", seqs(got))
	}
	if j.Dropped() != 2 {
		t.Errorf("Dropped = %d; want 2", j.Dropped())
	}
	if s := seqs(j.Events(4)); len(s) != 1 || s[0] != 5 {
		t.Errorf("Events(4) = %v; want [5]", s)
	}
	// The writer got every event, in order, one JSON line each.
	sc := bufio.NewScanner(&buf)
	var n uint64
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		n++
		if e.Seq != n || !e.Time.Equal(now) || e.Token == nil || e.Token.ClientID != "c" {
			t.Errorf("line %d = %+v", n, e)
		}
	}
	if n != 5 {
		t.Errorf("writer got %d lines; want 5", n)
	}
	j.Reset()
	if len(j.Events(0)) != 0 {
		t.Error("Reset kept events")
	}
	if e := j.Append(Event{Kind: KindAPI, API: &API{Method: "GET", Path: "/x", Verdict: VerdictOK, Status: 200}}); e.Seq != 6 {
		t.Errorf("after Reset, seq = %d; want 6 (numbers keep growing)", e.Seq)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJournal_WriterErrorKeepsMemory(t *testing.T) {
	j := New(Config{Writer: failWriter{}})
	j.Append(Event{Kind: KindAPI, API: &API{}})
	j.Append(Event{Kind: KindAPI, API: &API{}})
	if err := j.Err(); err == nil || err.Error() != "journal: disk full" {
		t.Errorf("Err = %v; want journal: disk full", err)
	}
	if len(j.Events(0)) != 2 {
		t.Error("events lost from memory after a writer error")
	}
}

func TestJournal_SubscribeConcurrent(t *testing.T) {
	j := New(Config{})
	ch, stop := j.Subscribe(1000)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				j.Append(Event{Kind: KindAPI, API: &API{}})
			}
		}()
	}
	wg.Wait()
	stop()
	stop() // idempotent
	var last uint64
	n := 0
	for e := range ch {
		if e.Seq <= last {
			t.Fatalf("subscriber got seq %d after %d", e.Seq, last)
		}
		last = e.Seq
		n++
	}
	if n != 800 {
		t.Errorf("subscriber got %d events; want 800", n)
	}
	var nilJ *Journal
	nilJ.Append(Event{}) // a nil journal is a no-op, so mocks need no nil checks
}

func seqs(es []Event) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestStages_Passed(t *testing.T) {
	all := Stages()
	if len(all) != 23 || all[0] != StageFault || all[1] != StageMethod || all[len(all)-1] != StageIssue {
		t.Fatalf("Stages() = %v", all)
	}
	all[0] = "changed"
	if Stages()[0] != StageFault {
		t.Fatal("Stages returns the package's slice")
	}
	tests := []struct {
		stage, check string
		want         bool
	}{
		{"", StageSignature, true},              // granted: passed every check
		{"", StageFault, false},                 // not a check
		{StageAud, StageSignature, true},        // refused later
		{StageSignature, StageSignature, false}, // refused there
		{StageClient, StageSignature, false},    // refused before
		{StageCapacity, StageJTI, true},         // the jti was fresh
		{StageLifetime, StageIatNbf, false},     // checked together
		{StageIatNbf, StageLifetime, false},
		{StageIatNbf, StageExp, true},
		{StageFault, StageMethod, false}, // no check ran
		{"no-such-stage", StageMethod, false},
		{StageScope, "no-such-check", false},
	}
	for _, tt := range tests {
		if got := Passed(tt.stage, tt.check); got != tt.want {
			t.Errorf("Passed(%q, %q) = %v; want %v", tt.stage, tt.check, got, tt.want)
		}
	}
}

func TestOfClient(t *testing.T) {
	evs := []Event{
		{Seq: 1, API: &API{ClientID: "a"}},
		{Seq: 2, Token: &Token{ClientID: "b"}},
		{Seq: 3, Token: &Token{ClientID: "a"}},
		{Seq: 4, API: &API{}},
		{Seq: 5},
	}
	var got []uint64
	for _, e := range OfClient(evs, "a") {
		got = append(got, e.Seq)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("OfClient(a) = seqs %v; want [1 3]", got)
	}
	if all := OfClient(evs, ""); len(all) != 5 {
		t.Errorf("OfClient(\"\") = %d events; want all 5", len(all))
	}
}
