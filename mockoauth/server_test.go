package mockoauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
)

func newTestServerT(t *testing.T, mutate func(*Config)) (*Server, *clock) {
	t.Helper()
	clk := newClock()
	cfg := testConfig(t, clk)
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, clk
}

// getToken runs a token request that must succeed and returns the body.
func getToken(t *testing.T, srv http.Handler, f url.Values) map[string]any {
	t.Helper()
	w, body := do(t, srv, postForm(f.Encode()))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d; want 200: %v", w.Code, body)
	}
	return body
}

// TestServer_HappyPaths signs with every key type the portal allows and
// the algorithms each can use.
func TestServer_HappyPaths(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	b := testBundles(t)
	tests := []struct {
		client, alg string
		key         certgen.KeyType
		scope       string
	}{
		{employerID, "RS256", certgen.RSA2048, ScopeEmployer},
		{employerID, "PS256", certgen.RSA2048, ScopeEmployer},
		{employerID, "RS384", certgen.RSA2048, ScopeEmployer},
		{trainerID, "RS512", certgen.RSA3072, ScopeTrainingProvider},
		{trainerID, "PS384", certgen.RSA3072, ScopeTrainingProvider},
		{trainerID, "RS256", certgen.RSA4096, ScopeTrainingProvider},
		{trainerID, "PS512", certgen.RSA4096, ScopeTrainingProvider},
		{providerID, "ES384", certgen.P384, ScopeProvider},
		{trainerID, "ES512", certgen.P521, ScopeTrainingProvider},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+string(tt.key), func(t *testing.T) {
			body := getToken(t, srv, form(sign(t, tt.alg, claimsFor(tt.client, clk.Now()), b[tt.key].Key, nil)))
			if body["token_type"] != "Bearer" || body["expires_in"] != 600.0 || body["scope"] != tt.scope {
				t.Errorf("body = %v; want Bearer, 600 s, %s", body, tt.scope)
			}
			tok, _ := body["access_token"].(string)
			c, err := srv.VerifyAccessToken(t.Context(), tok, []string{tt.scope})
			if err != nil {
				t.Fatalf("VerifyAccessToken: %v", err)
			}
			if c.ClientID != tt.client || !slices.Equal(c.Scopes, []string{tt.scope}) || len(c.EnterpriseNumber) != 10 {
				t.Errorf("caller = %+v", c)
			}
		})
	}
	t.Run("explicit scope and client_id, charset, header hints ignored", func(t *testing.T) {
		f := form(sign(t, "RS256", claimsFor(employerID, clk.Now()), b[certgen.RSA2048].Key,
			map[string]any{"typ": "JWT", "kid": "whatever", "x5t": certgen.ThumbprintsOf(b[certgen.RSA2048].Cert).X5T}))
		f.Set("scope", ScopeEmployer)
		f.Set("client_id", employerID)
		r := postForm(f.Encode())
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		w, body := do(t, srv, r)
		if w.Code != 200 {
			t.Fatalf("%d %v", w.Code, body)
		}
		if !strings.HasPrefix(w.Body.String(), `{"access_token":"`) || !strings.Contains(w.Body.String(), `","scope":"`) {
			t.Errorf("body %s: want access_token first, then scope", w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Errorf("headers = %v", w.Header())
		}
	})
	t.Run("aud as a one-element array, no iat, within skew", func(t *testing.T) {
		c := claimsFor(employerID, clk.Now())
		c["aud"] = []string{ProductionAudience}
		delete(c, "iat")
		c["exp"] = clk.Now().Add(-30 * time.Second).Unix() // expired, but within the 60 s skew
		getToken(t, srv, form(sign(t, "RS256", c, b[certgen.RSA2048].Key, nil)))
	})
}

// TestServer_Rotation: a client with two certificates during a rotation.
func TestServer_Rotation(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	b := testBundles(t)
	oldKey, newB := b[certgen.RSA2048].Key, extra.rsa2
	if err := srv.AddCertificate(employerID, newB.Cert); err != nil {
		t.Fatal(err)
	}
	for _, k := range []crypto.Signer{oldKey, newB.Key} {
		getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), k, nil)))
	}
	if err := srv.RemoveCertificate(employerID, b[certgen.RSA2048].Cert); err != nil {
		t.Fatal(err)
	}
	_, body := do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), oldKey, nil)).Encode()))
	if body["error"] != "invalid_client" {
		t.Errorf("old certificate after the rotation: %v; want invalid_client", body)
	}
	getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), newB.Key, nil)))
	if err := srv.RemoveCertificate(employerID, newB.Cert); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Errorf("removing the last certificate: %v; want a refusal", err)
	}
}

// TestServer_OpenSSL: an assertion signed by an independent implementation.
func TestServer_OpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH")
	}
	srv, clk := newTestServerT(t, nil)
	b := testBundles(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		alg, client, digest string
		key                 certgen.KeyType
	}{
		{"RS256", employerID, "-sha256", certgen.RSA2048},
		{"ES384", providerID, "-sha384", certgen.P384},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			keyPEM, err := b[tt.key].KeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			keyFile, inFile, sigFile := filepath.Join(dir, tt.alg+".key"), filepath.Join(dir, tt.alg+".in"), filepath.Join(dir, tt.alg+".sig")
			header := `{"alg":"` + tt.alg + `","typ":"JWT"}`
			claims := mustJSON(claimsFor(tt.client, clk.Now()))
			input := strings.TrimSuffix(rawJWS(header, claims, nil), ".")
			if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(inFile, []byte(input), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(openssl, "dgst", tt.digest, "-sign", keyFile, "-out", sigFile, inFile).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v: %s", err, out)
			}
			sig, err := os.ReadFile(sigFile)
			if err != nil {
				t.Fatal(err)
			}
			if tt.key == certgen.P384 { // openssl writes ECDSA as DER; JWS wants r||s (RFC 7518 §3.4)
				var rs struct{ R, S *big.Int }
				if _, err := asn1.Unmarshal(sig, &rs); err != nil {
					t.Fatal(err)
				}
				size := (b[tt.key].Key.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
				sig = append(rs.R.FillBytes(make([]byte, size)), rs.S.FillBytes(make([]byte, size))...)
			}
			getToken(t, srv, form(input+"."+b64(sig)))
		})
	}
}

func TestVerifyAccessToken(t *testing.T) {
	for _, format := range []string{AccessTokensJWT, AccessTokensOpaque} {
		t.Run(format, func(t *testing.T) { testVerifyAccessToken(t, format) })
	}
}

func testVerifyAccessToken(t *testing.T, format string) {
	srv, clk := newTestServerT(t, func(c *Config) { c.ExpiredTokenRetention = time.Minute; c.AccessTokens = format })
	ctx := context.Background()
	issue := func() string {
		tok, err := srv.IssueToken(employerID)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	check := func(tok string, scopes []string, want error) {
		t.Helper()
		_, err := srv.VerifyAccessToken(ctx, tok, scopes)
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("VerifyAccessToken = %v; want %v", err, want)
		}
	}
	check("", nil, ErrMissing)
	check("garbage", nil, ErrInvalid)
	tok := issue()
	check(tok, nil, nil)
	check(tok, []string{ScopeProvider, ScopeEmployer}, nil)
	_, err := srv.VerifyAccessToken(ctx, tok, []string{ScopeProvider})
	var se *ScopeError
	if !errors.As(err, &se) || !errors.Is(err, ErrInsufficientScope) || !slices.Equal(se.Granted, []string{ScopeEmployer}) {
		t.Errorf("wrong scope: %v", err)
	}
	clk.Add(600 * time.Second)
	check(tok, nil, ErrExpired)
	clk.Add(time.Minute)
	check(tok, nil, ErrExpired) // still remembered until forget time passes and something evicts
	issue()                     // evicts
	if format == AccessTokensOpaque {
		check(tok, nil, ErrInvalid)
	} else {
		check(tok, nil, ErrExpired) // its signature still says it is ours
	}

	a, b := issue(), issue()
	if !srv.RevokeToken(a) || srv.RevokeToken("nope") {
		t.Error("RevokeToken result")
	}
	check(a, nil, ErrRevoked)
	check(b, nil, nil)
	if !srv.ExpireToken(b) {
		t.Error("ExpireToken result")
	}
	check(b, nil, ErrExpired)
	c := issue()
	if n := srv.ExpireTokens(); n < 1 {
		t.Errorf("ExpireTokens = %d", n)
	}
	check(c, nil, ErrExpired)
	d := issue() // issued after ExpireTokens, in the same instant: unaffected
	check(d, nil, nil)
	if n := srv.RevokeTokens(); (format == AccessTokensJWT && n != 1) || n < 1 {
		t.Errorf("RevokeTokens = %d; want 1 (d; opaque: every token remembered)", n)
	}
	check(d, nil, ErrRevoked)
	check(issue(), nil, nil)
	if _, err := srv.IssueToken(employerID, ScopeProvider); err == nil {
		t.Error("IssueToken with a scope of another quality succeeded")
	}
}

func TestServer_Bounds(t *testing.T) {
	t.Run("tokens", func(t *testing.T) {
		srv, _ := newTestServerT(t, func(c *Config) { c.MaxTokens = 3; c.AccessTokens = AccessTokensOpaque })
		var toks []string
		for range 5 {
			tok, _ := srv.IssueToken(employerID)
			toks = append(toks, tok)
		}
		if n := srv.Stats().Tokens; n != 3 {
			t.Errorf("tokens = %d; want the bound 3", n)
		}
		if _, err := srv.VerifyAccessToken(t.Context(), toks[0], nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("oldest token: %v; want forgotten", err)
		}
		if _, err := srv.VerifyAccessToken(t.Context(), toks[4], nil); err != nil {
			t.Errorf("newest token: %v", err)
		}
	})
	t.Run("replay cache", func(t *testing.T) {
		j := journal.New(journal.Config{})
		srv, clk := newTestServerT(t, func(c *Config) { c.MaxReplayEntries = 2; c.Journal = j })
		key := testBundles(t)[certgen.RSA2048].Key
		for range 2 {
			getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)))
		}
		w, body := do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)).Encode()))
		if w.Code != 503 || body["error"] != "temporarily_unavailable" || w.Header().Get("Retry-After") != "360" {
			t.Errorf("at the bound: %d %v Retry-After %q; want 503 temporarily_unavailable, 360", w.Code, body, w.Header().Get("Retry-After"))
		}
		if evs := j.Events(0); evs[len(evs)-1].Token.Stage != journal.StageCapacity {
			t.Errorf("journal stage at the bound = %q; want %q", evs[len(evs)-1].Token.Stage, journal.StageCapacity)
		}
		clk.Add(6*time.Minute + time.Second) // exp (5 min) + skew (60 s) passed: evicted
		getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)))
		if n := srv.Stats().ReplayEntries; n != 1 {
			t.Errorf("replay entries = %d; want 1", n)
		}
	})
}

func TestServer_Journal(t *testing.T) {
	j := journal.New(journal.Config{})
	srv, clk := newTestServerT(t, func(c *Config) { c.Journal = j })
	key := testBundles(t)[certgen.RSA2048].Key
	a := sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)
	body := getToken(t, srv, form(a))
	do(t, srv, postForm(form(a).Encode())) // replay
	srv.FailNext(1, Fault{Status: 503, Error: "temporarily_unavailable", Detail: "planned"})
	do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)).Encode()))
	do(t, srv, postForm("client_secret=hunter2&grant_type=client_credentials"))

	evs := j.Events(0)
	if len(evs) != 4 {
		t.Fatalf("%d events; want 4", len(evs))
	}
	want := []struct {
		verdict, code     string
		status            int
		stage, clientAuth string
	}{
		{journal.VerdictGranted, "", 200, "", ""},
		{journal.VerdictRefused, "invalid_client", 400, journal.StageJTI, ""},
		{journal.VerdictInjected, "temporarily_unavailable", 503, journal.StageFault, ""},
		{journal.VerdictRefused, "invalid_request", 400, journal.StageClientSecret, journal.ClientAuthSecret},
	}
	for i, ev := range evs {
		tk := ev.Token
		if ev.Kind != journal.KindToken || tk == nil || tk.Verdict != want[i].verdict || tk.Error != want[i].code || tk.Status != want[i].status ||
			tk.Stage != want[i].stage || tk.ClientAuth != want[i].clientAuth || tk.Method != http.MethodPost || tk.ContentType != "application/x-www-form-urlencoded" {
			t.Errorf("event %d = %+v; want %+v", i, tk, want[i])
			continue
		}
		if i < 3 && (tk.ClientID != employerID || tk.Header["alg"] != "RS256" || tk.Claims["jti"] == nil) {
			t.Errorf("event %d lacks the decoded assertion: %+v", i, tk)
		}
	}
	if fp := evs[0].Token.Fingerprint; fp != Fingerprint(body["access_token"].(string)) || len(fp) != 16 {
		t.Errorf("fingerprint = %q", fp)
	}
	all, _ := json.Marshal(evs)
	for _, secret := range []string{strings.Split(a, ".")[2], body["access_token"].(string), "hunter2"} {
		if strings.Contains(string(all), secret) {
			t.Errorf("the journal holds a secret %.20s…", secret)
		}
	}
}

func TestServer_Faults(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	key := testBundles(t)[certgen.RSA2048].Key
	req := func() *http.Request {
		return postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)).Encode())
	}
	srv.FailNext(2, Fault{Status: 503, Error: "temporarily_unavailable", RetryAfter: 1500 * time.Millisecond})
	srv.FailNext(1, Fault{Malformed: true})
	srv.FailNext(1, Fault{Delay: 20 * time.Millisecond})
	for range 2 {
		w, body := do(t, srv, req())
		if w.Code != 503 || body["error"] != "temporarily_unavailable" || w.Header().Get("Retry-After") != "2" {
			t.Errorf("fault: %d %v %v", w.Code, body, w.Header())
		}
	}
	w := httptestRecorder(srv, req())
	if w.Code != 500 || json.Valid(w.Body.Bytes()) {
		t.Errorf("malformed fault: %d %q; want 500 and invalid JSON", w.Code, w.Body)
	}
	start := time.Now()
	if w, _ := do(t, srv, req()); w.Code != 200 || time.Since(start) < 20*time.Millisecond {
		t.Errorf("delay-only fault: %d after %v; want 200 after 20 ms", w.Code, time.Since(start))
	}
	srv.FailNext(5, Fault{Error: "invalid_client"})
	srv.ClearFaults()
	if w, _ := do(t, srv, req()); w.Code != 200 {
		t.Errorf("after ClearFaults: %d", w.Code)
	}
}

func TestServer_ClockOffset(t *testing.T) {
	srv, clk := newTestServerT(t, nil)
	key := testBundles(t)[certgen.RSA2048].Key
	srv.SetClockOffset(-2 * time.Minute) // the server is behind: a fresh iat is 120 s in its future
	_, body := do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)).Encode()))
	if d, _ := body["error_description"].(string); !strings.Contains(d, "iat is 120 s in the future") {
		t.Errorf("with the server 2 min behind: %v", body)
	}
	srv.SetClockOffset(0)
	getToken(t, srv, form(sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil)))
}

func TestServer_InvalidClient401(t *testing.T) {
	srv, clk := newTestServerT(t, func(c *Config) { c.InvalidClientStatus = 401 })
	w, body := do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, clk.Now()), extra.attacker.Key, nil)).Encode()))
	if w.Code != 401 || body["error"] != "invalid_client" || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("%d %v %v", w.Code, body, w.Header())
	}
}

func TestNew_Refuses(t *testing.T) {
	bad := func(r certgen.Request) *x509.Certificate {
		r.AllowNonCompliant = true
		return mustBundle(t, r).Cert
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"P-256 certificate", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, Certificates: []*x509.Certificate{bad(certgen.Request{Key: certgen.P256})}}}}, certgen.RuleCurve},
		{"RSA 1024 certificate", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, Certificates: []*x509.Certificate{bad(certgen.Request{Key: certgen.RSA1024})}}}}, certgen.RuleRSASize},
		{"SHA-1 certificate", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, Certificates: []*x509.Certificate{bad(certgen.Request{Digest: certgen.SHA1})}}}}, certgen.RuleDigest},
		{"no Digital Signature", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, Certificates: []*x509.Certificate{bad(certgen.Request{KeyUsage: x509.KeyUsageKeyEncipherment})}}}}, certgen.RuleKeyUsage},
		{"no certificate", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer}}}, "no certificate"},
		{"unknown quality", Config{Clients: []Client{{ID: "a", Quality: "boss", Certificates: certsOf(extra.other)}}}, `unknown quality "boss"`},
		{"bad enterprise number", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, EnterpriseNumber: "0880820674", Certificates: certsOf(extra.other)}}}, "check digits"},
		{"duplicate client", Config{Clients: []Client{{ID: "a", Quality: QualityEmployer, Certificates: certsOf(extra.other)}, {ID: "a", Quality: QualityEmployer, Certificates: certsOf(extra.other)}}}, "already registered"},
		{"HS256 allowed", Config{Algorithms: []string{"RS256", "HS256"}}, `algorithm "HS256" cannot be allowed`},
		{"none allowed", Config{Algorithms: []string{"none"}}, `algorithm "none" cannot be allowed`},
		{"bad audience", Config{Audience: "/token"}, "not an absolute URL"},
		{"bad invalid_client status", Config{InvalidClientStatus: 403}, "want 400 or 401"},
	}
	testBundles(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.QualityScopes = testQualityScopes()
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestServer_Concurrent runs token requests, verifications and knobs at
// once (for -race).
func TestServer_Concurrent(t *testing.T) {
	srv, clk := newTestServerT(t, func(c *Config) { c.Journal = journal.New(journal.Config{Capacity: 100}) })
	key := testBundles(t)[certgen.P384].Key
	var assertions []string
	for range 64 {
		assertions = append(assertions, sign(t, "ES384", claimsFor(providerID, clk.Now()), key, nil))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := i; j < len(assertions); j += 8 {
				w := httptestRecorder(srv, postForm(form(assertions[j]).Encode()))
				var body map[string]any
				_ = json.Unmarshal(w.Body.Bytes(), &body)
				if tok, ok := body["access_token"].(string); ok {
					_, _ = srv.VerifyAccessToken(context.Background(), tok, []string{ScopeProvider})
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			srv.FailNext(1, Fault{Error: "invalid_client"})
			srv.SetClockOffset(time.Second)
			srv.ExpireTokens()
			srv.RevokeTokens()
			srv.Stats()
		}
	})
	wg.Wait()
}

// TestServer_DerivedAudience: with no Config.Audience, aud must be the URL
// the request reached.
func TestServer_DerivedAudience(t *testing.T) {
	srv, clk := newTestServerT(t, func(c *Config) { c.Audience = "" })
	key := testBundles(t)[certgen.RSA2048].Key
	const here = "http://localhost:4010/REST/oauth/v5/token"
	c := claimsFor(employerID, clk.Now())
	c["aud"] = here
	r := httptest.NewRequest(http.MethodPost, here, strings.NewReader(form(sign(t, "RS256", c, key, nil)).Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w, body := do(t, srv, r); w.Code != 200 {
		t.Fatalf("%d %v", w.Code, body)
	}
	_, body := do(t, srv, postForm(form(sign(t, "RS256", c, key, nil)).Encode())) // reaches https://services.socialsecurity.be
	if d, _ := body["error_description"].(string); !strings.Contains(d, `want "`+ProductionAudience+`"`) {
		t.Errorf("aud for another host: %v", body)
	}
}
