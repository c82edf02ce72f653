package mockoauth

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/jsonlimit"
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
			if len(v) != 1 || v[0] == "" || !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
				t.Fatalf("accepted %q = %q", k, v)
			}
		}
	})
}

// FuzzParseMediaType: the strict Content-Type parser never panics; what it
// accepts, mime.ParseMediaType reads the same (its media type, and each
// parameter's value when no name repeats and none is an RFC 2231 one); a
// repeated parameter is always refused by checkContentType.
func FuzzParseMediaType(f *testing.F) {
	for _, s := range []string{
		"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-Urlencoded;CHARSET=utf-8",
		"application/x-www-form-urlencoded; charset=UTF-8; charset=UTF-8", `text/plain; a="x\"y"; b=1`, "a/b;;c=d;", `a/b; c="unclosed`,
		"a/b; charset*=utf-8''x", "a/b c", "/", "a/b; =x", "a/b; c=", "a/b; c=\"\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		mt, params, err := parseMediaType(ct)
		e := checkContentType(ct)
		if e != nil && (e.Code != "invalid_request" || e.Description == "") {
			t.Fatalf("checkContentType(%q) = %+v", ct, e)
		}
		if err != nil {
			return
		}
		seen := map[string]bool{}
		dup, ext := false, false
		for _, p := range params {
			dup = dup || seen[p.name]
			seen[p.name] = true
			ext = ext || strings.Contains(p.name, "*")
		}
		if dup {
			if e == nil {
				t.Fatalf("checkContentType(%q) accepted a repeated parameter", ct)
			}
			return // mime refuses two different values, keeps one of two equal ones
		}
		gmt, gparams, gerr := mime.ParseMediaType(ct)
		if gerr != nil || gmt != mt {
			t.Fatalf("parseMediaType(%q) = %q; mime.ParseMediaType = %q, %v", ct, mt, gmt, gerr)
		}
		if ext {
			return
		}
		for _, p := range params {
			if gparams[p.name] != p.value {
				t.Fatalf("parseMediaType(%q): %s=%q; mime.ParseMediaType: %q", ct, p.name, p.value, gparams[p.name])
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
	deep := b64([]byte(`{"alg":"RS256"}`)) + "." + b64([]byte(`{"x":`+strings.Repeat("[", 80)+strings.Repeat("]", 80)+`}`)) + ".c2ln"
	for _, s := range []string{good, deep, "a.b.c", "e30.e30.", "e30.e30", "a.b.c.d.e", "eyJhbGciOiJub25lIn0.e30.", "..", "e30=.e30.", "bnVsbA.bnVsbA.", "W10.W10."} {
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
		if b, err := json.Marshal(c); err != nil || jsonlimit.Check(b) != nil {
			t.Fatalf("accepted %q: claims nest deeper than %d (%v)", a, jsonlimit.MaxDepth, err)
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
