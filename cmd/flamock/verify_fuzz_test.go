package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/flamock/flamock/conformance"
)

// A journal file or page handed to `flamock verify` is untrusted input:
// reading it (either form) and judging it never panics.
func FuzzVerifyJournalPage(f *testing.F) {
	event := `{"seq":2,"time":"2026-11-24T12:00:01Z","kind":"api","api":{"method":"PUT","path":"/REST/careerpro-fla/v1/x","verdict":"ok","status":200,"tokenFingerprint":"ab"}}`
	for _, s := range []string{
		`{"dropped":3,"events":[` + event + `],"last":7}`,
		`{"events":[{"seq":1},{"seq":3,"kind":"api"},{"kind":"token","token":{"claims":{"aud":["a","b"],"exp":"soon"}}}]}`,
		`{"events":[]}`, `{"events":5}`, `{"events":null}`, event + "\n" + event, "{", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := readJournal(bytes.NewReader(data), "fuzz", io.Discard)
		if err != nil {
			return
		}
		for _, cfg := range []conformance.VerifyConfig{{ClientID: "c", TokenURL: "https://x/REST/oauth/v5/token"}, {}} {
			if err := conformance.Verify(events, cfg).WriteText(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}
