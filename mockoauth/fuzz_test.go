package mockoauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
)

// FuzzParseForm: the strict form parser never panics, and what it accepts
// has each parameter once, in UTF-8.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c",
		"a=1&a=2", "a=%zz", "a;b=c", "=&=", "%", "scope=a+b&scope=", "\xff=1", "a=%ff", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := parseForm(body)
		if err != nil {
			if err.Code != "invalid_request" || err.Description == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		for k, v := range form {
			if len(v) != 1 || !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
				t.Fatalf("accepted %q = %q", k, v)
			}
		}
	})
}

// FuzzParseAssertion: decoding an assertion never panics; what it accepts
// has a header and claims.
func FuzzParseAssertion(f *testing.F) {
	clk := newClock()
	srv, err := New(testConfig(f, clk))
	if err != nil {
		f.Fatal(err)
	}
	good := sign(f, "RS256", claimsFor(employerID, clk.Now()), testBundles(f)[certgen.RSA2048].Key, nil)
	for _, s := range []string{good, "a.b.c", "e30.e30.", "e30.e30", "a.b.c.d.e", "eyJhbGciOiJub25lIn0.e30.", "..", "e30=.e30.", "bnVsbA.bnVsbA.", "W10.W10."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		h, c, e := srv.parseAssertion(a)
		if e != nil {
			if e.Code != "invalid_request" || e.Description == "" {
				t.Fatalf("error %+v", e)
			}
			return
		}
		if h == nil || c == nil {
			t.Fatalf("accepted %q with header %v claims %v", a, h, c)
		}
	})
}

// FuzzTokenRequest: the whole endpoint never panics and always answers
// RFC 6749 JSON, never a 5xx, whatever the body and the assertion; the
// journal names the check that refused.
func FuzzTokenRequest(f *testing.F) {
	clk := newClock()
	cfg := testConfig(f, clk)
	j := journal.New(journal.Config{Capacity: 1})
	cfg.Journal = j
	srv, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	b := testBundles(f)
	for _, s := range []string{
		sign(f, "RS256", claimsFor(employerID, clk.Now()), b[certgen.RSA2048].Key, nil),
		sign(f, "ES384", claimsFor(providerID, clk.Now()), b[certgen.P384].Key, nil),
		sign(f, "ES384", claimsFor(employerID, clk.Now()), b[certgen.P384].Key, map[string]any{"crit": []string{"b64"}, "jku": "http://x"}),
		rawJWS(`{"alg":"none"}`, mustJSON(claimsFor(employerID, clk.Now())), nil),
		rawJWS(`{"alg":"RS256"}`, `{"iss":1,"sub":[],"aud":{},"exp":"x","jti":null}`, []byte("sig")),
		rawJWS(`{"alg":"RS256"}`, `{"sub":"`+employerID+`","exp":1e300,"iat":-1,"nbf":null}`, []byte("sig")),
	} {
		f.Add(form(s).Encode(), "")
		f.Add("grant_type=client_credentials&client_assertion_type="+ClientAssertionType+"&scope=a%20%20b&client_assertion="+s, ScopeEmployer)
	}
	f.Add("client_secret=x", "")
	f.Fuzz(func(t *testing.T, body, scope string) {
		r := postForm(body)
		if scope != "" {
			r.URL.RawQuery = "x=" + strings.ReplaceAll(scope, "&", "")
		}
		w := httptestRecorder(srv, r)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("body %q is not JSON", w.Body)
		}
		if evs := j.Events(0); len(evs) != 1 || evs[0].Token == nil {
			t.Fatalf("journal: %v", evs)
		} else if tk := evs[0].Token; (tk.Stage == "") != (w.Code == http.StatusOK) || (tk.Stage != "" && !slices.Contains(journal.Stages(), tk.Stage)) || tk.Method != http.MethodPost {
			t.Fatalf("%d answered; journal stage %q, method %q", w.Code, tk.Stage, tk.Method)
		}
		switch {
		case w.Code == http.StatusOK:
			if out["access_token"] == nil || out["token_type"] != "Bearer" {
				t.Fatalf("200 with %v", out)
			}
		case w.Code >= 500 && out["error"] != "temporarily_unavailable":
			t.Fatalf("%d %v", w.Code, out)
		default:
			if d, _ := out["error_description"].(string); out["error"] == nil || d == "" {
				t.Fatalf("%d %v", w.Code, out)
			}
		}
	})
}

// FuzzVerifyAccessToken: checking a bearer token (untrusted input from
// every API call) never panics and refuses with one of the documented
// reasons; it accepts only what this server signed.
func FuzzVerifyAccessToken(f *testing.F) {
	clk := newClock()
	srv, err := New(testConfig(f, clk))
	if err != nil {
		f.Fatal(err)
	}
	good, err := srv.IssueToken(employerID)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good[:len(good)-2], "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.", "..", strings.Repeat("A", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := srv.VerifyAccessToken(t.Context(), tok, nil)
		if err == nil {
			if tok != good || c.ClientID != employerID {
				t.Fatalf("accepted %q as %+v", tok, c)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrMissing) {
			t.Fatalf("refused %q with %v", tok, err)
		}
	})
}
