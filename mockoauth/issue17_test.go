package mockoauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/golang-jwt/jwt/v5"
)

// Issue 17, token endpoint: what real outside clients sent.

// journaled builds a Server from cfg with a journal of its own.
func journaled(t *testing.T, cfg Config) (*Server, *journal.Journal) {
	t.Helper()
	j := journal.New(journal.Config{})
	cfg.Journal = j
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, j
}

// nestedArrays is n arrays, one in the other, around 1.
func nestedArrays(n int) any {
	var v any = 1.0
	for range n {
		v = []any{v}
	}
	return v
}

// TestEmptyParameterIsOmitted: a parameter sent without a value is treated
// as omitted (RFC 6749 §3.1, §3.2), whatever its name.
func TestEmptyParameterIsOmitted(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	srv, j := journaled(t, cfg)
	key := testBundles(t)[certgen.RSA2048].Key
	assertion := func() string { return sign(t, "RS256", claimsFor(employerID, clk.Now()), key, nil) }
	body := func(extra string) string { return form(assertion()).Encode() + extra }
	for _, tt := range []struct {
		name, body, query string
		scope             string // granted; "" when refused
		desc              string // error_description when refused
	}{
		{name: "scope= empty gets the default scopes", body: body("&scope="), scope: ScopeEmployer},
		{name: "client_secret= empty is no client secret", body: body("&client_secret="), scope: ScopeEmployer},
		{name: "client_id= empty is no client id", body: body("&client_id="), scope: ScopeEmployer},
		{name: "an empty value beside a value is not a duplicate", body: body("&scope=&scope=" + url.QueryEscape(ScopeEmployer)), scope: ScopeEmployer},
		{name: "an empty parameter in the URL query is no parameter", body: body(""), query: "client_secret=&scope=", scope: ScopeEmployer},
		{name: "grant_type= empty is missing", body: "grant_type=&client_assertion_type=" + url.QueryEscape(ClientAssertionType) + "&client_assertion=" + assertion(),
			desc: "grant_type is missing; want client_credentials"},
		{name: "client_assertion= empty is missing", body: "grant_type=client_credentials&client_assertion_type=" + url.QueryEscape(ClientAssertionType) + "&client_assertion=",
			desc: "client_assertion is missing; want a JWT signed with the key of your registered certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(tt.body)
			r.URL.RawQuery = tt.query
			w, out := do(t, srv, r)
			evs := j.Events(0)
			ev := evs[len(evs)-1].Token
			if tt.scope == "" {
				if w.Code != http.StatusBadRequest || out["error_description"] != tt.desc {
					t.Fatalf("answer %d %v; want 400 %q", w.Code, out, tt.desc)
				}
				return
			}
			if w.Code != http.StatusOK || out["scope"] != tt.scope {
				t.Fatalf("answer %d %v; want 200 with scope %q", w.Code, out, tt.scope)
			}
			if ev.ClientAuth != "" || ev.Verdict != journal.VerdictGranted {
				t.Errorf("journal client auth %q, verdict %q; want none, granted", ev.ClientAuth, ev.Verdict)
			}
		})
	}
}

// postmanRequest builds the body and Content-Type of the first request of
// a Postman collection as Postman sends it: the enabled urlencoded
// entries in order, an empty value sent as "key=", {{variables}} replaced.
func postmanRequest(t *testing.T, file string, vars map[string]string) (contentType, body string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var col struct {
		Item []struct {
			Request struct {
				Header []struct{ Key, Value string }
				Body   struct {
					Urlencoded []struct {
						Key, Value string
						Disabled   bool
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &col); err != nil || len(col.Item) == 0 {
		t.Fatalf("%s: %v", file, err)
	}
	subst := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		return s
	}
	req := col.Item[0].Request
	var parts []string
	for _, p := range req.Body.Urlencoded {
		if !p.Disabled {
			parts = append(parts, url.QueryEscape(p.Key)+"="+url.QueryEscape(subst(p.Value)))
		}
	}
	for _, h := range req.Header {
		if strings.EqualFold(h.Key, "Content-Type") {
			contentType = h.Value
		}
	}
	return contentType, strings.Join(parts, "&")
}

// TestPostmanCollectionEmptyScope: the token request of a collection in
// the style of the platform operator's e-Box sample, which sends scope=
// empty, gets a token with the client's default scopes.
func TestPostmanCollectionEmptyScope(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Audience = ""
	ts := NewTestServer(t, cfg)
	c := claimsFor(employerID, clk.Now())
	c["aud"] = ts.TokenURL()
	ct, body := postmanRequest(t, "../testdata/postman/ebox-style-token.postman_collection.json",
		map[string]string{"clientAssertion": sign(t, "RS256", c, testBundles(t)[certgen.RSA2048].Key, nil)})
	if !strings.Contains(body, "&scope=") {
		t.Fatalf("the collection's body %q sends no empty scope", body)
	}
	resp, err := http.Post(ts.TokenURL(), ct, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out["scope"] != ScopeEmployer {
		t.Fatalf("answer %d %v; want 200 with the default scope %s", resp.StatusCode, out, ScopeEmployer)
	}
}

// TestAudienceHints: the audiences of older samples are named, with the
// right audience and the setting that accepts them.
func TestAudienceHints(t *testing.T) {
	key := testBundles(t)[certgen.RSA2048].Key
	for _, tt := range []struct{ env, aud, want string }{
		{EnvironmentProd, "https://services.socialsecurity.be/REST/oauth/v4/token",
			`client_assertion aud is "https://services.socialsecurity.be/REST/oauth/v4/token"; want "https://services.socialsecurity.be/REST/oauth/v5/token" (that is the legacy v4 audience; v5 wants the v5 token URL)`},
		{EnvironmentProd, "https://services-acpt.socialsecurity.be/REST/oauth/v4/token",
			`client_assertion aud is "https://services-acpt.socialsecurity.be/REST/oauth/v4/token"; want "https://services.socialsecurity.be/REST/oauth/v5/token" (that is the legacy v4 audience of environment acc, whose v5 audience is "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"; this server plays environment prod; to accept assertions made for acc, run flamock serve --environment acc (config key oauth.environment))`},
		{EnvironmentACC, "https://oauth-v5.acc.pub.socialsecurity.be",
			`client_assertion aud is "https://oauth-v5.acc.pub.socialsecurity.be"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token" (that is a host without the token path, as an older operator sample had it; v5 wants the token URL)`},
		{EnvironmentProd, "https://oauth-v5.acc.pub.socialsecurity.be",
			`client_assertion aud is "https://oauth-v5.acc.pub.socialsecurity.be"; want "https://services.socialsecurity.be/REST/oauth/v5/token" (that is a host without the token path, as an older operator sample had it; the audience of environment acc is "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"; this server plays environment prod; to accept assertions made for acc, run flamock serve --environment acc (config key oauth.environment))`},
		{EnvironmentLocal, "https://example.org/REST/oauth/v4/token",
			`client_assertion aud is "https://example.org/REST/oauth/v4/token"; want "https://127.0.0.1:8080/REST/oauth/v5/token" (that is the legacy v4 audience; v5 wants the v5 token URL)`},
	} {
		t.Run(tt.env+"/"+tt.aud, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig(t, clk)
			cfg.Audience, cfg.Environment = "", tt.env
			srv, j := journaled(t, cfg)
			c := claimsFor(employerID, clk.Now())
			c["aud"] = tt.aud
			r := postForm(form(sign(t, "RS256", c, key, nil)).Encode())
			r.Host = "127.0.0.1:8080"
			if got := refusal(t, srv, j, r, "invalid_client", journal.StageAud); got != tt.want {
				t.Errorf("description\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestRetiredTokenPath: the v4 (and v3) token path answers an OAuth error
// pointing to v5, and Paths lists it for the router.
func TestRetiredTokenPath(t *testing.T) {
	srv, err := New(testConfig(t, newClock()))
	if err != nil {
		t.Fatal(err)
	}
	w, body := do(t, srv, httptest.NewRequest(http.MethodPost, "https://services.socialsecurity.be/REST/oauth/v4/token", strings.NewReader("grant_type=client_credentials")))
	want := "/REST/oauth/v4/token is the token endpoint of OAuth v4, which the portal has retired; the token endpoint is POST /REST/oauth/v5/token, and the assertion's aud is its URL"
	if w.Code != http.StatusNotFound || body["error"] != "invalid_request" || body["error_description"] != want {
		t.Errorf("answer %d %v; want 404 invalid_request %q", w.Code, body, want)
	}
	if got := strings.Join(srv.Paths(), " "); got != "/REST/oauth/v5/token /REST/oauth/v5/jwks /REST/oauth/v3/token /REST/oauth/v4/token" {
		t.Errorf("Paths() = %s", got)
	}
	cfg := testConfig(t, newClock())
	cfg.TokenPath = "/token"
	own, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(own.Paths(), " "); got != "/token /REST/oauth/v5/jwks" {
		t.Errorf("Paths() with token path /token = %s; want no retired path", got)
	}
}

// TestLifetimeInHumanTerms: a lifetime of days is said in days, and ten
// days names Python's timedelta(10).
func TestLifetimeInHumanTerms(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	srv, j := journaled(t, cfg)
	key := testBundles(t)[certgen.RSA2048].Key
	for _, tt := range []struct {
		life time.Duration
		want string
	}{
		{863999 * time.Second, "client_assertion exp is 863999 s (about 10 days) after iat; at most 600 s allowed; Python's timedelta(10) is 10 days, not 10 minutes: write timedelta(minutes=10) or less"},
		{36 * time.Hour, "client_assertion exp is 129600 s (about 36 hours) after iat; at most 600 s allowed"},
		{3 * 24 * time.Hour, "client_assertion exp is 259200 s (about 3 days) after iat; at most 600 s allowed"},
	} {
		c := claimsFor(employerID, clk.Now())
		c["exp"] = clk.Now().Add(tt.life).Unix()
		if got := refusal(t, srv, j, postForm(form(sign(t, "RS256", c, key, nil)).Encode()), "invalid_client", journal.StageLifetime); got != tt.want {
			t.Errorf("description\n got %s\nwant %s", got, tt.want)
		}
	}
}

// TestAccessTokenOmitsEmptyClaims: a client with no quality (the generic
// profile's) gets a token without "quality":"".
func TestAccessTokenOmitsEmptyClaims(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Clients = append(cfg.Clients, Client{ID: "generic_client", Scopes: []string{"scope:ebox:read"}, Certificates: certsOf(extra.other)})
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.IssueToken("generic_client")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"quality", ClaimEnterpriseNumber} {
		if v, ok := claims[k]; ok {
			t.Errorf("claim %s = %q; want it left out", k, v)
		}
	}
	if claims["scope"] != "scope:ebox:read" || claims["client_id"] != "generic_client" {
		t.Errorf("claims %v", claims)
	}
	if c, err := srv.VerifyAccessToken(t.Context(), tok, nil); err != nil || c.Quality != "" {
		t.Errorf("VerifyAccessToken = %+v, %v; want the client with no quality", c, err)
	}
}

// TestForgedHostPinsAudience: with no audience configured, the audience and
// the access token's iss come from the address the server listens on, never
// from the Host header.
func TestForgedHostPinsAudience(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Audience = ""
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	own := hs.URL + DefaultTokenPath
	key := testBundles(t)[certgen.RSA2048].Key
	post := func(aud string) (int, map[string]any) {
		c := claimsFor(employerID, clk.Now())
		c["aud"] = aud
		r, _ := http.NewRequest(http.MethodPost, own, strings.NewReader(form(sign(t, "RS256", c, key, nil)).Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Host = "evil.example"
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return resp.StatusCode, out
	}
	code, out := post("http://evil.example" + DefaultTokenPath)
	want := `client_assertion aud is "http://evil.example/REST/oauth/v5/token"; want "` + own + `" (that is the token URL by the request's Host header; with no audience configured, the audience is the token URL at an address the server listens on, an IP address of this machine or localhost with the port the connection reached: use one, or configure the audience (config key oauth.audience) as the URL your clients use)`
	if code != http.StatusBadRequest || out["error_description"] != want {
		t.Fatalf("forged Host as aud: %d %v; want 400 %q", code, out, want)
	}
	code, out = post(own)
	if code != http.StatusOK {
		t.Fatalf("listening address as aud, forged Host: %d %v; want 200", code, out)
	}
	var c AccessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(out["access_token"].(string), &c); err != nil || c.Issuer != hs.URL {
		t.Errorf("access token iss %q (%v); want %q, never the Host header", c.Issuer, err, hs.URL)
	}
	// localhost with the listening port is an address the server listens
	// on; a name with that port is not.
	local := strings.Replace(hs.URL, "127.0.0.1", "localhost", 1)
	if code, out = post(local + DefaultTokenPath); code != http.StatusOK {
		t.Errorf("localhost as aud: %d %v; want 200", code, out)
	}
	if code, out = post(strings.Replace(hs.URL, "127.0.0.1", "evil.example", 1) + DefaultTokenPath); code != http.StatusBadRequest {
		t.Errorf("a name with the listening port as aud: %d %v; want 400", code, out)
	}
}

// TestDeepAssertionRefused: claims nesting 10,000 levels deep are refused
// before any JSON decoder reads them, even where the size allows them.
func TestDeepAssertionRefused(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.MaxAssertionBytes = 64 << 10
	srv, j := journaled(t, cfg)
	c := claimsFor(employerID, clk.Now())
	delete(c, "x")
	claims, _ := json.Marshal(c)
	deep := string(claims[:len(claims)-1]) + `,"x":` + strings.Repeat("[", 9999) + "1" + strings.Repeat("]", 9999) + "}"
	input := b64([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + b64([]byte(deep))
	sig, err := jwt.SigningMethodRS256.Sign(input, testBundles(t)[certgen.RSA2048].Key)
	if err != nil {
		t.Fatal(err)
	}
	got := refusal(t, srv, j, postForm(form(input+"."+b64(sig)).Encode()), "invalid_request", journal.StageJWS)
	want := "client_assertion payload nests deeper than 64 levels of objects and arrays (at byte " + itoa(len(claims)-1+len(`,"x":`)+63) + " of the decoded JSON); at most 64 allowed"
	if got != want {
		t.Errorf("description\n got %s\nwant %s", got, want)
	}
}

// TestDeepBearerTokenRefused: a bearer token whose claims nest deeper than
// the cap is refused before its claims are decoded.
func TestDeepBearerTokenRefused(t *testing.T) {
	srv, err := New(testConfig(t, newClock()))
	if err != nil {
		t.Fatal(err)
	}
	tok := b64([]byte(`{"alg":"RS256","kid":"x"}`)) + "." + b64([]byte(`{"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`)) + ".c2ln"
	_, err = srv.VerifyAccessToken(t.Context(), tok, nil)
	want := "invalid access token: not a JWT of this token server (its payload nests deeper than 64 levels)"
	if !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("VerifyAccessToken = %v; want %q (ErrInvalid)", err, want)
	}
}
