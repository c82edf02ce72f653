package mockfla_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// A client secret, an assertion or a token sent in the query is neither
// echoed in the answer nor kept in the journal.
func TestSecretsInQueryAreRedacted(t *testing.T) {
	cfg := baseConfig()
	s := newServer(t, cfg)
	r := do(t, s, "GET", seed+"?client_secret=s3cretvalue&client_assertion=eyJhbGciOi.assertion.sig&access_token=tok3n", employerTok, "")
	if r.status != 400 {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	p := r.problem(t)
	for _, is := range p.Issues {
		if is.In == "query" && is.Value != nil && is.Value != "REDACTED" {
			t.Fatalf("issue %+v shows a secret's value", is)
		}
	}
	if len(p.Issues) != 3 {
		t.Fatalf("issues %+v", p.Issues)
	}
	ev, _ := json.Marshal(cfg.Journal.Events(0))
	for _, secret := range []string{"s3cretvalue", "eyJhbGciOi", "tok3n"} {
		if strings.Contains(string(r.body), secret) || strings.Contains(string(ev), secret) {
			t.Fatalf("%s echoed:\n%s\n%s", secret, r.body, ev)
		}
	}
}
