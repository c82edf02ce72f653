package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/flamock/flamock/internal/journal"
)

// blockedWriter holds the first write until release is closed, so that
// the reporter falls behind.
type blockedWriter struct {
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	b       strings.Builder
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { <-w.release })
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// The reporter follows only the refusals of the embedded journal; when
// it falls behind by more than its channel holds, it still writes every
// refusal once, in order, and no success.
func TestReportRequests_FollowsRefusalsAndFillsGaps(t *testing.T) {
	j := journal.New(journal.Config{Capacity: 10000})
	w := &blockedWriter{release: make(chan struct{})}
	stop := reportRequests(w, j, reportRefusals, "/token")
	const n = 3000
	for i := range n {
		a := &journal.API{Method: "PUT", Path: fmt.Sprintf("/r/%d", i), Verdict: journal.VerdictOK, Status: 200}
		if i%2 == 1 {
			a.Verdict, a.Status, a.ProblemType = journal.VerdictRejected, 400, "urn:problem-type:belgif:badRequest"
		}
		a.SetBodies([]byte(`{"password":"x"}`), nil)
		j.Append(journal.Event{Kind: journal.KindAPI, API: a})
	}
	close(w.release)
	stop()
	lines := strings.Split(strings.TrimSpace(w.b.String()), "\n")
	if len(lines) != n/2 {
		t.Fatalf("%d lines; want %d (every refusal once)", len(lines), n/2)
	}
	for k, l := range lines {
		if want := fmt.Sprintf(" PUT /r/%d ", 2*k+1); !strings.Contains(l, want) {
			t.Fatalf("line %d = %q; want %q", k, l, want)
		}
	}
}

// Successes are not sent to the reporter (so not settled for it); with
// -v it follows everything.
func TestReportRequests_SuccessesNotFollowed(t *testing.T) {
	for _, tc := range []struct {
		mode    int
		lines   int
		settled bool
	}{{reportRefusals, 0, false}, {reportAll, 1, true}} {
		j := journal.New(journal.Config{})
		var b strings.Builder
		stop := reportRequests(&syncWriter{b: &b}, j, tc.mode, "/token")
		a := &journal.API{Method: "GET", Path: "/r", Verdict: journal.VerdictOK, Status: 200}
		a.SetBodies([]byte("{}"), []byte(`{"a":1}`))
		j.Append(journal.Event{Kind: journal.KindAPI, API: a})
		stop()
		if got := strings.Count(b.String(), "\n"); got != tc.lines {
			t.Errorf("mode %d: %d lines; want %d", tc.mode, got, tc.lines)
		}
		if settled := a.ResponseBody != ""; settled != tc.settled {
			t.Errorf("mode %d: response body %q; settled %v, want %v", tc.mode, a.ResponseBody, settled, tc.settled)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
