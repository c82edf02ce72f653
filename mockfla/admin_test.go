package mockfla_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/mockfla"
)

func TestAdmin_Faults(t *testing.T) {
	s := newServer(t, baseConfig())
	r := do(t, s, "POST", "/__admin/faults", "", `[{"method":"GET","path":"/REST/careerpro-fla/v1/*","count":2,"status":503,"retryAfter":"7s"},{"method":"PUT","status":429,"retryAfter":"3s"}]`)
	if r.status != 201 {
		t.Fatalf("queue = %d %s", r.status, r.body)
	}
	for i := 0; i < 2; i++ {
		g := do(t, s, "GET", seed, employerTok, "")
		p := g.problem(t)
		if g.status != 503 || g.header.Get("Retry-After") != "7" || p.Type != mockfla.TypeServiceUnavailable {
			t.Fatalf("GET %d = %d %v %s", i, g.status, g.header, g.body)
		}
	}
	if g := do(t, s, "GET", seed, employerTok, ""); g.status != 404 {
		t.Fatalf("after the faults: %d", g.status)
	}
	p := do(t, s, "PUT", seed, employerTok, trainingSet)
	if pr := p.problem(t); p.status != 429 || pr.RetryAfterSec != 3 || p.header.Get("Retry-After") != "3" || pr.Type != mockfla.TypeTooManyRequests {
		t.Fatalf("PUT = %d %s", p.status, p.body)
	}
	evs := s.Journal().Events(0)
	if last := evs[len(evs)-1].API; last.Verdict != "injected" || last.Fault != "status 429, Retry-After 3" {
		t.Errorf("journal: %+v", last)
	}
	// Bad faults are refused with the reason.
	r = do(t, s, "POST", "/__admin/faults", "", `{"status":200}`)
	if r.status != 400 || !strings.Contains(string(r.body), "status 200 is not 400 to 599") {
		t.Fatalf("bad fault = %d %s", r.status, r.body)
	}
	// Unknown keys (a typo, or the old delayMs) name the key; a number
	// where a duration goes says what to write.
	for body, want := range map[string]string{
		`{"status":503,"retryAftr":"5s"}`: `"name":"retryAftr"`,
		`{"delayMs":1500}`:                `unknown key \"delayMs\"`,
		`{"delay":1500}`:                  `want a duration such as \"1.5s\" or \"250ms\", not 1500`,
		`{"error":"server_error"}`:        `error and malformed apply to the token endpoint only`,
	} {
		if r := do(t, s, "POST", "/__admin/faults", "", body); r.status != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("POST %s = %d %s; want 400 with %s", body, r.status, r.body, want)
		}
	}
	do(t, s, "POST", "/__admin/faults", "", `{"status":500,"delay":"1ms"}`)
	if r := do(t, s, "GET", "/__admin/faults", "", ""); !strings.Contains(string(r.body), `{"count":1,"status":500,"delay":"1ms","left":1}`) {
		t.Fatalf("list = %s", r.body)
	}
	if r := do(t, s, "DELETE", "/__admin/faults", "", ""); r.status != 204 {
		t.Fatal(r.status)
	}
	if g := do(t, s, "GET", seed, employerTok, ""); g.status != 404 {
		t.Fatalf("after clearing: %d", g.status)
	}
}

func TestServer_PreferHeader(t *testing.T) {
	s := newServer(t, baseConfig())
	r := do(t, s, "GET", seed, employerTok, "", "Prefer", "code=503, retry-after=2")
	if r.status != 503 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("got %d %v", r.status, r.header)
	}
	if r := do(t, s, "GET", seed, employerTok, "", "Prefer", "return=minimal"); r.status != 404 {
		t.Fatalf("unrelated Prefer: %d", r.status)
	}
}

func TestTestServer_DropAndDelay(t *testing.T) {
	ts := mockfla.NewTestServer(t, baseConfig())
	if err := ts.QueueFault(mockfla.Fault{Method: "GET", Drop: true}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ts.URL+seed, nil)
	req.Header.Set("Authorization", "Bearer "+employerTok)
	if resp, err := ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	if err := ts.QueueFault(mockfla.Fault{Delay: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", ts.URL+seed, nil)
	if resp, err := ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a 5 s delay answered within 50 ms")
	}
}

func TestAdmin_JournalAndState(t *testing.T) {
	ts := mockfla.NewTestServer(t, baseConfig())
	// Follow the stream before the calls.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/__admin/journal/stream", nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream Content-Type %q", ct)
	}
	put, _ := http.NewRequest("PUT", ts.URL+seed, strings.NewReader(trainingSet))
	put.Header.Set("Authorization", "Bearer "+employerTok)
	put.Header.Set("Content-Type", "application/json")
	pr, err := ts.Client().Do(put)
	if err != nil || pr.StatusCode != 200 {
		t.Fatalf("PUT: %v %v", err, pr)
	}
	pr.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var data string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = d
			break
		}
	}
	var ev struct {
		Seq uint64
		API struct{ Method, Path, Verdict string }
	}
	if err := json.Unmarshal([]byte(data), &ev); err != nil || ev.API.Method != "PUT" || ev.API.Verdict != "ok" {
		t.Fatalf("stream event %q: %v", data, err)
	}
	// Read it back, with since.
	r := do(t, ts, "GET", "/__admin/journal?since=0", "", "")
	if !strings.Contains(string(r.body), `"path":"`+seed+`"`) {
		t.Fatalf("journal = %s", r.body)
	}
	if r := do(t, ts, "GET", "/__admin/journal?since=x", "", ""); r.status != 400 {
		t.Fatalf("since=x: %d", r.status)
	}
	if r := do(t, ts, "GET", "/__admin/journal?since=1", "", ""); !strings.Contains(string(r.body), `"events":[]`) {
		t.Fatalf("since=1: %s", r.body)
	}
	do(t, ts, "DELETE", "/__admin/journal", "", "")
	if evs := ts.Journal().Events(0); len(evs) != 0 {
		t.Fatalf("%d events after reset", len(evs))
	}
	do(t, ts, "DELETE", "/__admin/state", "", "")
	if r := do(t, ts, "GET", seed, employerTok, ""); r.status != 404 {
		t.Fatalf("after state reset: %d", r.status)
	}
	if r := do(t, ts, "PUT", "/__admin/mandates", "", `{"mandates":[{"provider":"0566988259","employer":"880820673"}]}`); r.status != 204 {
		t.Fatalf("mandates: %d %s", r.status, r.body)
	}
	if r := do(t, ts, "GET", seed, strangerTok, ""); r.status != 404 {
		t.Fatalf("stranger after mandate: %d %s", r.status, r.body)
	}
	if r := do(t, ts, "GET", "/__admin/nope", "", ""); r.status != 404 {
		t.Fatalf("unknown admin path: %d", r.status)
	}
	if r := do(t, ts, "GET", "/__admin/ready", "", ""); r.status != 200 {
		t.Fatalf("ready: %d", r.status)
	}
}
