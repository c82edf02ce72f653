package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
)

// A client's stdout is untrusted input: whatever it prints, parsing it
// never panics, and every line that is not blank yields a result or a
// problem.
func FuzzParseResults(f *testing.F) {
	for _, s := range []string{
		`{"id":"put-trainings","status":200,"body":{"trainings":[]}}`,
		`{"id":"get","status":404,"body":"not found"}` + "\n" + `{"id":"x","error":"tls: unknown authority"}`,
		"not json\n\n{\"id\":1}",
		`{"id":"a","status":"200"}`,
		"{", "", "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stdout []byte) {
		results, problems := conformance.ParseResults(stdout)
		lines := 0
		for _, l := range bytes.Split(stdout, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if len(results)+len(problems) < min(lines, 1) {
			t.Fatalf("%d non-blank lines gave no result and no problem", lines)
		}
		for _, r := range results {
			if len(r.Body) > 0 && !json.Valid(r.Body) {
				t.Fatalf("result %q has a body that is not JSON: %q", r.ID, r.Body)
			}
		}
	})
}

// A journal file handed to `flamock verify` is untrusted input: reading and
// judging it never panics.
func FuzzVerifyJournal(f *testing.F) {
	for _, s := range []string{
		`{"seq":1,"time":"2026-11-24T12:00:00Z","kind":"token","token":{"clientId":"c","verdict":"granted","status":200,"claims":{"iss":"c","sub":"c","aud":"https://x/REST/oauth/v5/token","exp":1795528635,"iat":1795528335,"jti":"j"},"header":{"alg":"RS256"}}}`,
		`{"seq":2,"time":"2026-11-24T12:00:01Z","kind":"api","api":{"method":"PUT","path":"/REST/careerpro-fla/v1/x","verdict":"ok","status":200,"tokenFingerprint":"ab"}}`,
		`{"seq":3,"kind":"token","token":{"claims":{"aud":["a","b"],"exp":"soon","iat":null}}}`,
		`{"seq":4,"kind":"token","token":{"method":"GET","contentType":"","clientAuth":"x","stage":"no-such-check","verdict":"refused","claims":{}}}`,
		`{"kind":"api","api":null}`, "garbage", "{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, _, err := conformance.ReadJournal(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, cfg := range []conformance.VerifyConfig{{ClientID: "c", TokenURL: "https://x/REST/oauth/v5/token"}, {}} {
			rep := conformance.Verify(events, cfg)
			var buf bytes.Buffer
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Verify is a library function: the events handed to it directly (not
// through ReadJournal, which drops lines that are no event) are untrusted
// input too. Judging them never panics, and an event that is neither a
// token request nor an API call is always counted in a note, never judged.
func FuzzVerify(f *testing.F) {
	for _, s := range []string{
		`[{"seq":1,"time":"2026-11-24T12:00:00Z","kind":"token","token":{"clientId":"c","verdict":"granted","status":200,"fingerprint":"ab","claims":{"iss":"c","sub":"c","aud":"https://x/REST/oauth/v5/token","exp":1795528635,"iat":1795528335,"jti":"j"},"header":{"alg":"RS256"}}},` +
			`{"seq":2},{"seq":3,"time":"2026-11-24T12:00:01Z","kind":"api","api":{"method":"PUT","path":"/REST/careerpro-fla/v1/x","verdict":"ok","status":200,"tokenFingerprint":"ab"}}]`,
		`[{"seq":1}]`, `[{"kind":"api","api":null},{"kind":"token"}]`, `[{}, {"api":{}}, {"token":{}}]`,
		`[{"seq":7,"kind":"api","api":{"clientId":"c","status":503,"layers":[{"name":"auth","verdict":"fail"}]},"token":{"claims":{"aud":["a"]}}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var events []journal.Event
		if json.Unmarshal(data, &events) != nil {
			return
		}
		neither := 0
		for _, ev := range events {
			if ev.Token == nil && ev.API == nil {
				neither++
			}
		}
		for _, cfg := range []conformance.VerifyConfig{{ClientID: "c", TokenURL: "https://x/REST/oauth/v5/token"}, {}} {
			rep := conformance.Verify(events, cfg)
			if err := rep.WriteText(io.Discard); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%d event(s) neither a token request nor an API call, not judged: ", neither)
			noted := len(rep.Notes) > 0 && strings.HasPrefix(rep.Notes[0], want)
			if noted != (neither > 0) {
				t.Fatalf("client %q: %d event(s) neither a token request nor an API call; notes %q", cfg.ClientID, neither, rep.Notes)
			}
		}
	})
}
