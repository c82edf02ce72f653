package mockoauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
)

// TestNoSecretEchoed: a client secret, an assertion or an access token
// sent in the token URL's query (or a secret in the form) is never echoed
// in the error text nor written to the journal.
func TestNoSecretEchoed(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	j := journal.New(journal.Config{})
	cfg.Journal = j
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	assertion := sign(t, "RS256", claimsFor(employerID, clk.Now()), testBundles(t)[certgen.RSA2048].Key, nil)
	sig := assertion[strings.LastIndexByte(assertion, '.')+1:]
	const secret, token = "s3cr3t-V4lue", "opaque-access-token-value"
	tests := []struct {
		name  string
		query string
		form  url.Values
		want  string
	}{
		{"client_secret in the query", "client_secret=" + secret, form(assertion),
			`token request parameters belong in the form body, not in the URL query "client_secret=REDACTED" (RFC 6749 §3.2)`},
		{"everything in the query", url.Values{"client_assertion": {assertion}, "grant_type": {"client_credentials"}, "access_token": {token}}.Encode(), form(assertion),
			`token request parameters belong in the form body, not in the URL query "access_token=REDACTED&client_assertion=REDACTED&grant_type=client_credentials" (RFC 6749 §3.2)`},
		{"escaped name and a semicolon", "client%5Fsecret=" + secret + ";scope=x", form(assertion),
			`token request parameters belong in the form body, not in the URL query "client%5Fsecret=REDACTED;scope=x" (RFC 6749 §3.2)`},
		{"client_secret in the form", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {employerID}, "client_secret": {secret}},
			"client_secret is not supported: the portal does not use client secrets; authenticate with a client_assertion signed by the key of your registered certificate (private_key_jwt, RFC 7523)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, ProductionAudience+"?"+tt.query, strings.NewReader(tt.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w, body := do(t, srv, r)
			if w.Code != 400 || body["error_description"] != tt.want {
				t.Errorf("answer %d %q\nwant %q", w.Code, body["error_description"], tt.want)
			}
			evs := j.Events(0)
			ev, _ := json.Marshal(evs[len(evs)-1])
			for _, s := range []string{secret, token, sig} {
				if strings.Contains(w.Body.String(), s) || strings.Contains(string(ev), s) {
					t.Errorf("%q echoed:\nresponse %s\njournal %s", s, w.Body, ev)
				}
			}
		})
	}
}
