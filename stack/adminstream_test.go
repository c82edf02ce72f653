package stack_test

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/stack"
	"github.com/flamock/flamock/store"
)

// openStream opens GET /__admin/journal/stream with auth ("" for none) and
// returns a channel of its lines, closed when the server ends the stream.
// The test fails if it has not ended 30 s after end is closed.
func openStream(t *testing.T, ts *stack.TestServer, auth string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/__admin/journal/stream", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET /__admin/journal/stream = %d; want 200", resp.StatusCode)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// untilEnd reads a stream's lines until the server ends it and returns the
// "event:" and "data:" lines of its last event; it fails after 30 s.
func untilEnd(t *testing.T, lines <-chan string) string {
	t.Helper()
	var last []string
	limit := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			switch {
			case !ok:
				return strings.Join(last, "\n")
			case strings.HasPrefix(l, "event: ") || strings.HasPrefix(l, "data: "):
				last = append(last, l)
			case l == "" && len(last) > 0 && !strings.HasPrefix(last[0], "event: end"):
				last = nil
			}
		case <-limit:
			t.Fatalf("the stream has not ended 30 s on; last lines %q", last)
		}
	}
}

// endEvent is the last event of a client's stream whose token is no
// longer honoured for the reason why.
func endEvent(client, why string) string {
	return endPrefix(client) + why + endSuffix
}

func endPrefix(client string) string {
	return "event: end\n" + `data: {"reason":"The admin credential of client ` + client + ` is no longer accepted (`
}

const endSuffix = `): the stream ends; open it again with a valid one"}`

// A live event stream opened with a client's access token ends once the
// token expires or is revoked, with an "end" event that says why: the
// token's access does not outlive it. The operator's stream goes on.
func TestAdmin_ClientStreamEndsWithItsToken(t *testing.T) {
	client := fla.DemoClients()[0].ClientID

	t.Run("expired", func(t *testing.T) {
		t0 := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
		var clock atomic.Int64
		clock.Store(t0.UnixNano())
		ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true},
			OAuth: mockoauth.Config{TokenTTL: time.Minute, Now: func() time.Time { return time.Unix(0, clock.Load()) }}})
		stream := openStream(t, ts, "Bearer "+issue(t, ts, client))
		operator := openStream(t, ts, "")
		clock.Store(t0.Add(61 * time.Second).UnixNano())
		if got, want := untilEnd(t, stream), endEvent(client, "the access token expired at 2026-12-02T19:01:00Z (server time 2026-12-02T19:01:01Z)"); got != want {
			t.Errorf("the client's stream ended with\n%s\nwant\n%s", got, want)
		}
		// The operator's stream is still open: it shows an API call made now.
		resp, err := ts.Client().Get(ts.URL + "/REST/nowhere")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		limit := time.After(30 * time.Second)
		for seen := false; !seen; {
			select {
			case l, ok := <-operator:
				if !ok {
					t.Fatal("the operator's stream ended with the client's token")
				}
				seen = strings.HasPrefix(l, "data: ") && strings.Contains(l, "/REST/nowhere")
			case <-limit:
				t.Fatal("the operator's stream shows no call 30 s on")
			}
		}
	})

	t.Run("revoked", func(t *testing.T) {
		ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true}})
		tok := issue(t, ts, client)
		stream := openStream(t, ts, "Bearer "+tok)
		if code, body, _ := adminCall(t, ts, "POST", "/__admin/oauth/tokens/revoke", "", `{"token":"`+tok+`"}`); code != 200 {
			t.Fatalf("revoke: %d %s", code, body)
		}
		if got, want := untilEnd(t, stream), endEvent(client, "the access token was revoked: token of client "+client); got != want {
			t.Errorf("the client's stream ended with\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("no longer checkable", func(t *testing.T) {
		rv := &flakyRevocations{Revocations: store.NewRevocations(0)}
		ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true},
			OAuth: mockoauth.Config{Revocations: rv}})
		stream := openStream(t, ts, "Bearer "+issue(t, ts, client))
		rv.down.Store(true)
		if got, want := untilEnd(t, stream), endEvent(client, "the test state store is unavailable: connection refused"); got != want {
			t.Errorf("the client's stream ended with\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("a short-lived token", func(t *testing.T) {
		ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true},
			OAuth: mockoauth.Config{TokenTTL: 3 * time.Second}}) // exp is in whole seconds: 1 s may be over at once
		stream := openStream(t, ts, "Bearer "+issue(t, ts, client))
		const at = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
		want := regexp.MustCompile(`^` + regexp.QuoteMeta(endPrefix(client)+"the access token expired at ") + at + ` \(server time ` + at + `\)` + regexp.QuoteMeta(endSuffix) + `$`)
		if got := untilEnd(t, stream); !want.MatchString(got) {
			t.Errorf("the client's stream ended with\n%s\nwant a match of\n%s", got, want)
		}
	})
}

// flakyRevocations is a revocation store that cannot be reached once down
// is set.
type flakyRevocations struct {
	store.Revocations
	down atomic.Bool
}

func (f *flakyRevocations) Watermarks(ctx context.Context) (store.Watermarks, error) {
	if f.down.Load() {
		return downRevocations{}.Watermarks(ctx)
	}
	return f.Revocations.Watermarks(ctx)
}
