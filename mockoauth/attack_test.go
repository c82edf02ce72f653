package mockoauth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/golang-jwt/jwt/v5"
)

// TestServer_Attacks sends hostile token requests; each must be refused
// with the exact RFC 6749 error code and a description naming the problem.
func TestServer_Attacks(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Journal = journal.New(journal.Config{})
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := testBundles(t)
	rsaKey := b[certgen.RSA2048].Key
	now := clk.Now()

	// A server that would notice if the token endpoint fetched a key.
	var fetched atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched.Add(1) }))
	defer evil.Close()

	good := func() jwt.MapClaims { return claimsFor(employerID, now) }
	with := func(k string, v any) jwt.MapClaims { c := good(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := good(); delete(c, k); return c }
	assert := func(c jwt.MapClaims) string { return sign(t, "RS256", c, rsaKey, nil) }
	formBody := func(a string) string { return form(a).Encode() }

	replayed := assert(good())
	if w, body := do(t, srv, postForm(formBody(replayed))); w.Code != 200 {
		t.Fatalf("first use of the replayed assertion: %d %v", w.Code, body)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(b[certgen.RSA2048].Cert.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsWithPub, err := jwt.NewWithClaims(jwt.SigningMethodHS256, good()).SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	noneJWT := rawJWS(`{"alg":"none","typ":"JWT"}`, mustJSON(good()), nil)
	valid := assert(good())
	parts := strings.Split(valid, ".")

	type tc struct {
		name   string
		req    func() *http.Request
		status int // 0: 400
		code   string
		desc   string
		stage  string // journal.Token.Stage
	}
	post := func(a string) func() *http.Request { return func() *http.Request { return postForm(formBody(a)) } }
	raw := func(body string) func() *http.Request { return func() *http.Request { return postForm(body) } }
	attacker := extra.attacker.Key
	tests := []tc{
		// Algorithms.
		{"alg none", post(noneJWT), 0, "invalid_client", `alg "none" (an unsigned JWT) is never accepted`, journal.StageAlg},
		{"alg None capitalised", post(rawJWS(`{"alg":"None"}`, mustJSON(good()), nil)), 0, "invalid_client", "never accepted", journal.StageAlg},
		{"HS256 signed with the public key bytes", post(hsWithPub), 0, "invalid_client", "alg HS256 is a shared-secret (HMAC) algorithm", journal.StageAlg},
		{"RS256 header over an EC key", post(sign(t, "RS256", claimsFor(providerID, now), rsaKey, nil)), 0, "invalid_client",
			`alg RS256 needs an RSA key; client "` + providerID + `" has registered EC P-384`, journal.StageSignature},
		{"ES384 header for an RSA client", post(sign(t, "ES384", good(), b[certgen.P384].Key, nil)), 0, "invalid_client", "alg ES384 needs an EC P-384 key", journal.StageSignature},
		{"ES256 not in the allow list", post(sign(t, "ES256", good(), mustBundle(t, certgen.Request{Key: certgen.P256, AllowNonCompliant: true}).Key, nil)), 0, "invalid_client",
			`alg "ES256" is not allowed; want RS256, RS384, RS512, PS256, PS384, PS512, ES384, ES512`, journal.StageAlg},
		{"unknown alg", post(rawJWS(`{"alg":"RS257"}`, mustJSON(good()), []byte("x"))), 0, "invalid_client", `alg "RS257" is not allowed`, journal.StageAlg},
		{"no alg", post(rawJWS(`{"typ":"JWT"}`, mustJSON(good()), []byte("x"))), 0, "invalid_request", "header has no alg", journal.StageAlg},
		{"crit header", post(sign(t, "RS256", good(), rsaKey, map[string]any{"crit": []string{"exp"}})), 0, "invalid_client", "crit", journal.StageAlg},

		// Keys.
		{"another client's key", post(sign(t, "RS256", good(), extra.other.Key, nil)), 0, "invalid_client",
			"signature does not verify with the 1 registered RS256 certificate(s) of client \"" + employerID + "\"", journal.StageSignature},
		{"kid/jku/x5u pointing elsewhere", post(sign(t, "RS256", good(), attacker, map[string]any{
			"kid": "../../attacker", "jku": evil.URL + "/jwks.json", "x5u": evil.URL + "/cert.pem"})), 0, "invalid_client",
			"the header's kid/jku/x5u are never used to find or fetch a key", journal.StageSignature},
		{"jwk header with the attacker's key", post(sign(t, "RS256", good(), attacker, map[string]any{
			"jwk": map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB"}})), 0, "invalid_client", "jwk are never used", journal.StageSignature},
		{"x5c header with the attacker's certificate", post(sign(t, "RS256", good(), attacker, map[string]any{
			"x5c": []string{base64.StdEncoding.EncodeToString(extra.attacker.Cert.Raw)}})), 0, "invalid_client", "x5c are never used", journal.StageSignature},
		{"signature of another payload", post(parts[0] + "." + strings.Split(assert(good()), ".")[1] + "." + parts[2]), 0, "invalid_client", "signature does not verify", journal.StageSignature},
		{"empty signature", post(parts[0] + "." + parts[1] + "."), 0, "invalid_client", "signature does not verify", journal.StageSignature},

		// Claims: time.
		{"expired", post(assert(with("exp", now.Add(-5*time.Minute).Unix()))), 0, "invalid_client", "client_assertion expired at 2026-03-02T09:25:00Z, 300 s ago", journal.StageExp},
		{"exp 11 min after iat", post(assert(with("exp", now.Add(11*time.Minute).Unix()))), 0, "invalid_client", "client_assertion exp is 660 s after iat; at most 600 s allowed", journal.StageLifetime},
		{"exp 1 h after iat", post(assert(with("exp", now.Add(time.Hour).Unix()))), 0, "invalid_client", "client_assertion exp is 3600 s after iat; at most 600 s allowed", journal.StageLifetime},
		{"exp 12 min ahead without iat", post(assert(func() jwt.MapClaims { c := with("exp", now.Add(12*time.Minute).Unix()); delete(c, "iat"); return c }())), 0, "invalid_client",
			"exp is 720 s after now (server time 2026-03-02T09:30:00Z, no iat); at most 600 s allowed (+60 s clock skew)", journal.StageLifetime},
		{"exp missing", post(assert(without("exp"))), 0, "invalid_client", "client_assertion exp is missing", journal.StageExp},
		{"exp a string", post(assert(with("exp", "1772444100"))), 0, "invalid_client", "exp is a string; want a NumericDate", journal.StageExp},
		{"exp in milliseconds", post(assert(with("exp", now.Add(time.Minute).UnixMilli()))), 0, "invalid_client", "milliseconds?", journal.StageExp},
		{"iat in the future", post(assert(func() jwt.MapClaims {
			c := with("iat", now.Add(5*time.Minute).Unix())
			c["exp"] = now.Add(6 * time.Minute).Unix()
			return c
		}())), 0, "invalid_client", "client_assertion iat is 300 s in the future", journal.StageIatNbf},
		{"nbf in the future", post(assert(with("nbf", now.Add(2*time.Minute).Unix()))), 0, "invalid_client", "client_assertion nbf is 120 s in the future", journal.StageIatNbf},

		// Claims: jti.
		{"replayed jti", post(replayed), 0, "invalid_client", "was already used by client", journal.StageJTI},
		{"missing jti", post(assert(without("jti"))), 0, "invalid_client", "client_assertion jti is missing", journal.StageJTI},
		{"numeric jti", post(assert(with("jti", 42))), 0, "invalid_client", "jti is a number", journal.StageJTI},

		// Claims: aud.
		{"aud with a trailing slash", post(assert(with("aud", ProductionAudience+"/"))), 0, "invalid_client", "(without the trailing slash)", journal.StageAud},
		{"aud http instead of https", post(assert(with("aud", strings.Replace(ProductionAudience, "https", "http", 1)))), 0, "invalid_client", "(https, not http)", journal.StageAud},
		{"aud v3", post(assert(with("aud", "https://services.socialsecurity.be/REST/oauth/v3/token"))), 0, "invalid_client", "legacy v3 audience", journal.StageAud},
		{"aud v3 host", post(assert(with("aud", "https://oauth.socialsecurity.be"))), 0, "invalid_client", "legacy v3 audience", journal.StageAud},
		{"aud array with a wrong value", post(assert(with("aud", []string{"https://example.com/token"}))), 0, "invalid_client",
			`aud is ["https://example.com/token"]; want "` + ProductionAudience + `"`, journal.StageAud},
		{"aud array with an extra value", post(assert(with("aud", []string{ProductionAudience, "https://evil.example"}))), 0, "invalid_client", "aud has 2 values", journal.StageAud},
		{"aud missing", post(assert(without("aud"))), 0, "invalid_client", "aud is missing", journal.StageAud},
		{"aud a number", post(assert(with("aud", 1))), 0, "invalid_client", "aud is a number", journal.StageAud},

		// Claims: identity.
		{"iss differs from sub", post(assert(with("iss", otherID))), 0, "invalid_client", `iss "` + otherID + `" differs from sub "` + employerID + `"`, journal.StageIssSub},
		{"iss missing", post(assert(without("iss"))), 0, "invalid_client", "iss is missing", journal.StageIssSub},
		{"unknown client", post(assert(func() jwt.MapClaims { c := claimsFor("self_service_chaman_000000_nobodyxxxx", now); return c }())), 0, "invalid_client",
			`unknown client "self_service_chaman_000000_nobodyxxxx"`, journal.StageClient},
		{"no sub nor iss", post(assert(func() jwt.MapClaims { c := without("sub"); delete(c, "iss"); return c }())), 0, "invalid_client", "neither sub nor iss", journal.StageClient},
		{"client_id form differs from sub", func() *http.Request {
			f := form(assert(good()))
			f.Set("client_id", otherID)
			return postForm(f.Encode())
		}, 0, "invalid_client", "signature does not verify", journal.StageSignature},
		{"client_id form differs from sub, signed by that client", func() *http.Request {
			f := form(sign(t, "RS256", good(), extra.other.Key, nil))
			f.Set("client_id", otherID)
			return postForm(f.Encode())
		}, 0, "invalid_client", `client_id form parameter "` + otherID + `" differs from the assertion's sub`, journal.StageIssSub},
		{"expired certificate", post(sign(t, "RS256", claimsFor(expiredID, now), extra.expired.Key, nil)), 0, "invalid_client", "CERT-VALID-NAF: the certificate that signed", journal.StageCertificate},
		{"disabled client", post(sign(t, "ES384", claimsFor(disabledID, now), extra.disabled.Key, nil)), 0, "unauthorized_client", "is disabled", journal.StageDisabled},

		// The JWS itself.
		{"truncated JWT (2 segments)", post(parts[0] + "." + parts[1]), 0, "invalid_request", "has 2 segment(s); a compact JWS has 3", journal.StageJWS},
		{"truncated signature", post(valid[:len(valid)-1]), 0, "invalid_request", "signature is not base64url", journal.StageJWS},
		{"truncated signature, still base64", post(parts[0] + "." + parts[1] + "." + func() string {
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			return base64.RawURLEncoding.EncodeToString(sig[:len(sig)-3])
		}()), 0, "invalid_client", "signature does not verify", journal.StageSignature},
		{"oversized JWT", post(assert(with("pad", strings.Repeat("x", 20000)))), 0, "invalid_request", "client_assertion is 27", journal.StageJWS},
		{"non-base64 header", post("ey!J." + parts[1] + "." + parts[2]), 0, "invalid_request", "header is not base64url", journal.StageJWS},
		{"padded base64", post(parts[0] + "=." + parts[1] + "." + parts[2]), 0, "invalid_request", "not base64url without padding", journal.StageJWS},
		{"header not JSON", post(base64.RawURLEncoding.EncodeToString([]byte("alg=RS256")) + "." + parts[1] + "." + parts[2]), 0, "invalid_request", "header is not a JSON object", journal.StageJWS},
		{"payload not JSON", post(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + "." + parts[2]), 0, "invalid_request", "payload is not a JSON object", journal.StageJWS},
		{"JWE", post("a.b.c.d.e"), 0, "invalid_request", "as a JWE", journal.StageJWS},

		// The form.
		{"wrong grant type", raw("grant_type=authorization_code&client_assertion_type=" + ClientAssertionType + "&client_assertion=" + valid), 0,
			"unsupported_grant_type", `grant_type is "authorization_code"; the portal supports only client_credentials`, journal.StageGrant},
		{"missing grant type", raw("client_assertion_type=" + ClientAssertionType + "&client_assertion=" + valid), 0, "invalid_request", "grant_type is missing", journal.StageGrant},
		{"wrong assertion type", func() *http.Request {
			f := form(valid)
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
			return postForm(f.Encode())
		}, 0, "invalid_request", `client_assertion_type is "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"; want ` + ClientAssertionType, journal.StageAssertionType},
		{"missing assertion", raw("grant_type=client_credentials&client_assertion_type=" + ClientAssertionType), 0, "invalid_request", "client_assertion is missing", journal.StageJWS},
		{"client_secret", raw("grant_type=client_credentials&client_id=" + employerID + "&client_secret=s3cret"), 0, "invalid_request",
			"client_secret is not supported: the portal does not use client secrets", journal.StageClientSecret},
		{"Basic auth", func() *http.Request {
			r := postForm(formBody(valid))
			r.SetBasicAuth(employerID, "s3cret")
			return r
		}, 0, "invalid_request", "HTTP Basic authentication (client_secret_basic) is not supported", journal.StageClientSecret},
		{"duplicate form keys", raw(formBody(valid) + "&client_assertion=" + valid), 0, "invalid_request", "duplicate parameters: client_assertion (2 times)", journal.StageForm},
		{"wrong content type", func() *http.Request {
			r := postForm(`{"grant_type":"client_credentials"}`)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, 0, "invalid_request", `Content-Type is "application/json"; want application/x-www-form-urlencoded`, journal.StageContentType},
		{"missing content type", func() *http.Request { r := postForm(formBody(valid)); r.Header.Del("Content-Type"); return r }, 0, "invalid_request", "Content-Type is missing", journal.StageContentType},
		{"latin-1 charset", func() *http.Request {
			r := postForm(formBody(valid))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=ISO-8859-1")
			return r
		}, 0, "invalid_request", "charset", journal.StageContentType},
		{"oversized form", raw(formBody(valid) + "&pad=" + strings.Repeat("x", 70000)), http.StatusRequestEntityTooLarge, "invalid_request", "at most 65536 allowed", journal.StageForm},
		{"bad percent escape", raw("grant_type=client%ZZcredentials"), 0, "invalid_request", "not application/x-www-form-urlencoded", journal.StageForm},
		{"GET", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ProductionAudience+"?"+formBody(valid), nil)
		}, http.StatusMethodNotAllowed, "invalid_request", "method is GET", journal.StageMethod},
		{"parameters in the URL query", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, ProductionAudience+"?client_secret=x", strings.NewReader(formBody(valid)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 0, "invalid_request", "belong in the form body", journal.StageQuery},
		{"empty body", raw(""), 0, "invalid_request", "request body is empty", journal.StageForm},

		// Scopes.
		{"scope of another quality", func() *http.Request {
			f := form(assert(good()))
			f.Set("scope", ScopeProvider)
			return postForm(f.Encode())
		}, 0, "invalid_scope", `scope "` + ScopeProvider + `" is not allowed for client "` + employerID + `" (quality employer)`, journal.StageScope},
		{"scope with two spaces", func() *http.Request {
			f := form(assert(good()))
			f.Set("scope", ScopeEmployer+"  "+ScopeEmployer)
			return postForm(f.Encode())
		}, 0, "invalid_scope", "separated by single spaces", journal.StageScope},
		{"scope of spaces", func() *http.Request {
			f := form(assert(good()))
			f.Set("scope", " ")
			return postForm(f.Encode())
		}, 0, "invalid_scope", `scope " " is not a list of scope-tokens separated by single spaces (RFC 6749 §3.3)`, journal.StageScope},
		{"charset twice", func() *http.Request {
			r := postForm(formBody(valid))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8; charset=UTF-8")
			return r
		}, 0, "invalid_request", `Content-Type "application/x-www-form-urlencoded; charset=UTF-8; charset=UTF-8" has the parameter charset twice; a parameter may appear once (RFC 6838 §4.3)`, journal.StageContentType},
		{"claims nested 100 deep", post(assert(with("x", nestedArrays(99)))), 0, "invalid_request",
			"client_assertion payload nests deeper than 64 levels of objects and arrays", journal.StageJWS},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d attacks", len(tests))
	}
	// How the journal describes the request, where it differs from a form
	// POST with no client secret.
	formPost := journal.Token{Method: http.MethodPost, ContentType: "application/x-www-form-urlencoded"}
	sent := map[string]journal.Token{
		"GET":                         {Method: http.MethodGet},
		"wrong content type":          {Method: http.MethodPost, ContentType: "application/json"},
		"missing content type":        {Method: http.MethodPost},
		"client_secret":               {Method: http.MethodPost, ContentType: formPost.ContentType, ClientAuth: journal.ClientAuthSecret},
		"Basic auth":                  {Method: http.MethodPost, ContentType: formPost.ContentType, ClientAuth: journal.ClientAuthBasic},
		"parameters in the URL query": {Method: http.MethodPost, ContentType: formPost.ContentType, ClientAuth: journal.ClientAuthSecret},
	}
	seq := cfg.Journal.Events(0)[len(cfg.Journal.Events(0))-1].Seq
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, body := do(t, srv, tt.req())
			evs := cfg.Journal.Events(seq)
			if len(evs) != 1 || evs[0].Token == nil {
				t.Fatalf("journal: %d new events; want 1 token event", len(evs))
			}
			seq = evs[0].Seq
			got, req := *evs[0].Token, formPost
			if s, ok := sent[tt.name]; ok {
				req = s
			}
			if got.Stage != tt.stage || !slices.Contains(journal.Stages(), got.Stage) {
				t.Errorf("journal stage = %q; want %q", got.Stage, tt.stage)
			}
			if got.Method != req.Method || got.ContentType != req.ContentType || got.ClientAuth != req.ClientAuth {
				t.Errorf("journal method, content type, client auth = %q, %q, %q; want %q, %q, %q",
					got.Method, got.ContentType, got.ClientAuth, req.Method, req.ContentType, req.ClientAuth)
			}
			if got.Verdict != journal.VerdictRefused || got.Error != tt.code {
				t.Errorf("journal verdict, error = %q, %q; want %q, %q", got.Verdict, got.Error, journal.VerdictRefused, tt.code)
			}
			want := tt.status
			if want == 0 {
				want = http.StatusBadRequest
			}
			if w.Code != want {
				t.Errorf("status = %d; want %d (%v)", w.Code, want, body)
			}
			if body["error"] != tt.code {
				t.Errorf("error = %q; want %q (%v)", body["error"], tt.code, body["error_description"])
			}
			if d, _ := body["error_description"].(string); !strings.Contains(d, tt.desc) {
				t.Errorf("error_description = %q; want it to contain %q", d, tt.desc)
			}
			if _, ok := body["access_token"]; ok {
				t.Errorf("an access token was issued")
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q; want no-store", got)
			}
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the token endpoint fetched %d URLs named in assertion headers; want none", n)
	}
}
