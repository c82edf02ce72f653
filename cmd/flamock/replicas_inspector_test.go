package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// The inspector's live view across replicas, end to end: real flamock
// serve processes on one real PostgreSQL (see replicas_test.go), the
// operator behind an admin token, CI jobs behind their own access tokens.

const operatorToken = "operator-s3cret"

// startGuardedSandbox starts PostgreSQL and n replicas whose admin API
// wants the operator's admin token (or a client's access token).
func startGuardedSandbox(t *testing.T, n int) *sandbox {
	t.Helper()
	s := startSandbox(t, 0)
	for range n {
		s.replicas = append(s.replicas, startServe(t, "--config", s.cfg, "--store", s.dsn, "--admin-token", operatorToken))
	}
	return s
}

// liveStream is an open /__admin/journal/stream: its events arrive on
// events until the test ends.
type liveStream struct {
	events chan journal.Event
}

// follow opens the event stream of p at path with the Authorization auth,
// and reads it in the background until the test ends.
func (s *sandbox) follow(t *testing.T, p *servedProcess, path, auth string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", p.base+path, nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req) // no timeout: it is followed until cancel
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("GET %s = %d %s; want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ls := &liveStream{events: make(chan journal.Event, 1024)}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		defer close(ls.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e journal.Event
			if json.Unmarshal([]byte(data), &e) == nil {
				ls.events <- e
			}
		}
	}()
	return ls
}

// until reads events until one satisfies last, or 20 s pass; it returns
// every event read, the last one included.
func (ls *liveStream) until(t *testing.T, what string, last func(journal.Event) bool) []journal.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var got []journal.Event
	for {
		select {
		case e, ok := <-ls.events:
			if !ok {
				t.Fatalf("%s: the stream ended after %d events", what, len(got))
			}
			got = append(got, e)
			if last(e) {
				return got
			}
		case <-timeout:
			t.Fatalf("%s: not seen within 20 s; read %d events: %s", what, len(got), describe(got))
		}
	}
}

// describe lists events as "kind client method path status".
func describe(evs []journal.Event) string {
	var out []string
	for _, e := range evs {
		switch {
		case e.API != nil:
			out = append(out, fmt.Sprintf("api %s %s %s %d", e.API.ClientID, e.API.Method, e.API.Path, e.API.Status))
		case e.Token != nil:
			out = append(out, fmt.Sprintf("token %s %d", e.Token.ClientID, e.Token.Status))
		}
	}
	return strings.Join(out, "; ")
}

func apiCallTo(path string) func(journal.Event) bool {
	return func(e journal.Event) bool { return e.API != nil && e.API.Path == path }
}

// An event caused on replica B appears in replica A's live event stream;
// A's client-scoped streams (by ?clientId=, and by the client's own access
// token as the admin credential) show that client's events only; A's
// journal read-back lists B's events, and its client view only the
// client's.
func TestReplicas_InspectorLiveView(t *testing.T) {
	s := startGuardedSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	tokX := s.token(t, a, testEmployerID)
	all := s.follow(t, a, "/__admin/journal/stream", "Bearer "+operatorToken)
	byQuery := s.follow(t, a, "/__admin/journal/stream?clientId="+testEmployerID, "Bearer "+operatorToken)
	byToken := s.follow(t, a, "/__admin/journal/stream", "Bearer "+tokX)
	// Each stream first sends what the journal holds (X's token request on
	// A); once that is read, what B causes can only reach A live.
	for _, ls := range []*liveStream{all, byQuery, byToken} {
		ls.until(t, "the backlog", func(e journal.Event) bool { return e.Token != nil && e.Token.ClientID == testEmployerID })
	}

	tokY := s.token(t, b, testProviderID)      // a token request on B, by Y
	replayed := s.assertion(t, testEmployerID) // X's assertion used on A, replayed on B
	if code, _, body := s.tokenRequest(t, a, replayed); code != 200 {
		t.Fatalf("X's assertion on A: %d %v", code, body)
	}
	if code, _, body := s.tokenRequest(t, b, replayed); code != 400 {
		t.Fatalf("X's assertion replayed on B: %d %v; want 400", code, body)
	}
	pathX := trainingsURL("", "403019261", testSSIN(21), 2023)
	pathY := trainingsURL("", "403019261", testSSIN(22), 2023)
	marker := trainingsURL("", "403019261", testSSIN(23), 2023)
	for _, c := range []struct{ tok, path string }{{tokX, pathX}, {tokY, pathY}, {tokX, marker}} {
		if r := call(t, s.client, "GET", b.base+c.path, c.tok, ""); r.status != 404 {
			t.Fatalf("GET %s on B = %d %s; want 404", c.path, r.status, r.raw)
		}
	}
	got := all.until(t, "A's stream: B's last call", apiCallTo(marker))
	want := map[string]bool{"token " + testProviderID + " 200": false, "api " + testEmployerID + " GET " + pathX + " 404": false,
		"api " + testProviderID + " GET " + pathY + " 404": false}
	for _, line := range strings.Split(describe(got), "; ") {
		if _, ok := want[line]; ok {
			want[line] = true
		}
	}
	for line, seen := range want {
		if !seen {
			t.Errorf("A's live stream lacks B's event %q; read: %s", line, describe(got))
		}
	}
	for name, ls := range map[string]*liveStream{"?clientId=X": byQuery, "X's access token": byToken} {
		got := ls.until(t, "A's stream by "+name+": B's last call", apiCallTo(marker))
		for _, e := range got {
			if e.ClientID() != testEmployerID {
				t.Errorf("A's stream by %s shows another client's event: %s", name, describe([]journal.Event{e}))
			}
		}
		if d := describe(got); !strings.Contains(d, "api "+testEmployerID+" GET "+pathX+" 404") {
			t.Errorf("A's stream by %s lacks X's call on B: %s", name, d)
		}
	}

	readBack := func(auth string) (string, string) {
		t.Helper()
		r := callAuth(t, s.client, "GET", a.base+"/__admin/journal", auth, "")
		var page struct{ Events []journal.Event }
		if err := json.Unmarshal([]byte(r.raw), &page); err != nil || r.status != 200 {
			t.Fatalf("A's journal = %d %s", r.status, r.raw)
		}
		return describe(page.Events), r.raw
	}
	if d, _ := readBack("Bearer " + operatorToken); !strings.Contains(d, "GET "+pathX) || !strings.Contains(d, "GET "+pathY) {
		t.Errorf("A's journal lacks B's calls: %s", d)
	}
	d, raw := readBack("Bearer " + tokX)
	if !strings.Contains(d, "GET "+pathX) || strings.Contains(d, testProviderID) {
		t.Errorf("A's journal read with X's token: %s; want X's calls on B and nothing of Y's", d)
	}
	// The page X read is what verify judges: X's run, whichever replica.
	file := filepath.Join(t.TempDir(), "journal.json")
	if err := os.WriteFile(file, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := flamock(t, "verify", "--client-id", testEmployerID, "--token-url", sharedAudience, file)
	if code != 1 {
		t.Fatalf("verify of the page X read: exit %d; want 1 (its jti reused on B)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"FAIL  OAUTH-JTI-01", "PASS  OAUTH-AUD-01", "PASS  TOKEN-HEADER-01", "PASS  API-NORETRY-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify of the page X read lacks %q\n%s", want, out)
		}
	}
}

// callAuth is call with any Authorization header.
func callAuth(t *testing.T, client *http.Client, method, url, auth, body string) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&sb)
	r := apiResult{status: resp.StatusCode, raw: sb.String()}
	json.Unmarshal([]byte(r.raw), &r.body)
	return r
}

// A client's access token from one replica is its admin credential on the
// other: a fault it plants through A (no clientId) is its own and fires
// for it on B, never for another client; it lists and clears only its own
// faults, and gets the operator's routes refused with 403, on any replica.
func TestReplicas_ClientAdminCredential(t *testing.T) {
	s := startGuardedSandbox(t, 2)
	a, b := s.replicas[0], s.replicas[1]
	tokX, tokY := s.token(t, b, testEmployerID), s.token(t, a, testProviderID)
	if r := callAuth(t, s.client, "POST", a.base+"/__admin/faults", "Bearer "+operatorToken, `{"path":"/nowhere","status":500}`); r.status != 201 {
		t.Fatalf("the operator plants a fault: %d %s", r.status, r.raw)
	}
	r := callAuth(t, s.client, "POST", a.base+"/__admin/faults", "Bearer "+tokX, `{"method":"GET","path":"/REST/*","status":503,"count":2}`)
	if want := `{"faults":[{"method":"GET","path":"/REST/*","count":2,"status":503,"clientId":"` + testEmployerID + `","left":2}]}`; r.status != 201 || strings.TrimSpace(r.raw) != want {
		t.Fatalf("X plants a fault through A = %d %s; want 201 %s", r.status, r.raw, want)
	}
	path := trainingsURL("", "403019261", testSSIN(24), 2023)
	for i := range 4 {
		if r := call(t, s.client, "GET", b.base+path, tokY, ""); r.status != 404 {
			t.Fatalf("Y's GET %d on B = %d %s; want 404, never X's fault", i, r.status, r.raw)
		}
	}
	for i, want := range []int{503, 503, 404} {
		if r := call(t, s.client, "GET", s.replicas[(i+1)%2].base+path, tokX, ""); r.status != want {
			t.Fatalf("X's GET %d = %d %s; want %d", i, r.status, r.raw, want)
		}
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ci:"+tokX))
	if r := callAuth(t, s.client, "GET", b.base+"/__admin/ui", basic, ""); r.status != 200 || !strings.Contains(r.raw, "<html") {
		t.Errorf("the inspector page on B with X's token as the Basic password = %d; want 200 and the page", r.status)
	}
	for _, c := range []struct {
		p            *servedProcess
		method, path string
	}{
		{b, "DELETE", "/__admin/state"}, {a, "DELETE", "/__admin/journal"}, {b, "POST", "/__admin/assertions"}, {a, "PUT", "/__admin/mandates"},
	} {
		r := callAuth(t, s.client, c.method, c.p.base+c.path, "Bearer "+tokX, `{}`)
		want := "The admin credential of client " + testEmployerID + " may not " + c.method + " " + c.path +
			": a client's access token acts on its own faults and journal only; this route needs the operator's admin token"
		if r.status != 403 || r.body["type"] != "urn:problem-type:belgif:missingPermission" || r.body["detail"] != want {
			t.Errorf("X: %s %s = %d %s; want 403 missingPermission %q", c.method, c.path, r.status, r.raw, want)
		}
	}
	if r := callAuth(t, s.client, "DELETE", b.base+"/__admin/faults", "Bearer "+tokX, ""); r.status != 204 {
		t.Fatalf("X clears its faults on B = %d %s", r.status, r.raw)
	}
	r = callAuth(t, s.client, "GET", a.base+"/__admin/faults", "Bearer "+operatorToken, "")
	if want := `{"faults":[{"path":"/nowhere","count":1,"status":500,"left":1}]}`; strings.TrimSpace(r.raw) != want {
		t.Errorf("faults on A after X cleared its own = %s; want the operator's, untouched: %s", r.raw, want)
	}
	r = callAuth(t, s.client, "GET", a.base+"/__admin/faults", "Bearer not-a-token", "")
	if r.status != 401 || r.body["type"] != "urn:problem-type:belgif:invalidAccessToken" {
		t.Errorf("a wrong admin credential = %d %s; want 401 invalidAccessToken", r.status, r.raw)
	}
}
