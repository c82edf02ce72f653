package mockoauth

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/golang-jwt/jwt/v5"
)

// refusal runs a token request that must be refused and returns the
// error_description, checking the code and the journal stage.
func refusal(t *testing.T, srv *Server, j *journal.Journal, r *http.Request, code, stage string) string {
	t.Helper()
	w, body := do(t, srv, r)
	if w.Code != http.StatusBadRequest || body["error"] != code {
		t.Fatalf("answer %d %v; want 400 %s", w.Code, body, code)
	}
	if j != nil {
		evs := j.Events(0)
		if got := evs[len(evs)-1].Token.Stage; got != stage {
			t.Errorf("journal stage %q; want %q", got, stage)
		}
	}
	d, _ := body["error_description"].(string)
	return d
}

// TestEnvironments: acc and prod fix the audience; an assertion made for
// another known environment (v5 or legacy v3) is refused naming both.
func TestEnvironments(t *testing.T) {
	key := testBundles(t)[certgen.RSA2048].Key
	tests := []struct {
		env, aud, want string
	}{
		{EnvironmentACC, ProductionAudience,
			`client_assertion aud is "https://services.socialsecurity.be/REST/oauth/v5/token"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token" (that is the audience of environment prod; this server plays environment acc; to accept assertions made for prod, run flamock serve --environment prod (config key oauth.environment))`},
		{EnvironmentProd, ACCAudience,
			`client_assertion aud is "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"; want "https://services.socialsecurity.be/REST/oauth/v5/token" (that is the audience of environment acc; this server plays environment prod; to accept assertions made for acc, run flamock serve --environment acc (config key oauth.environment))`},
		{EnvironmentProd, "https://oauthacc.socialsecurity.be",
			`client_assertion aud is "https://oauthacc.socialsecurity.be"; want "https://services.socialsecurity.be/REST/oauth/v5/token" (that is the legacy v3 audience of environment acc, whose v5 audience is "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"; this server plays environment prod; to accept assertions made for acc, run flamock serve --environment acc (config key oauth.environment))`},
		{EnvironmentACC, "https://oauth.socialsecurity.be",
			`client_assertion aud is "https://oauth.socialsecurity.be"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token" (that is the legacy v3 audience of environment prod, whose v5 audience is "https://services.socialsecurity.be/REST/oauth/v5/token"; this server plays environment acc; to accept assertions made for prod, run flamock serve --environment prod (config key oauth.environment))`},
		{EnvironmentACC, "https://oauthacc.socialsecurity.be",
			`client_assertion aud is "https://oauthacc.socialsecurity.be"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token" (that is the legacy v3 audience; v5 wants the v5 token URL)`},
		{EnvironmentACC, "https://oauth-v5.acc.socialsecurity.be", // the alternative acc audience: same environment, no hint
			`client_assertion aud is "https://oauth-v5.acc.socialsecurity.be"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"`},
		{EnvironmentLocal, ProductionAudience,
			`client_assertion aud is "https://services.socialsecurity.be/REST/oauth/v5/token"; want "https://127.0.0.1:8080/REST/oauth/v5/token" (that is the audience of environment prod; this server plays environment local, whose audience is its own token URL; to accept assertions made for prod, run flamock serve --environment prod (config key oauth.environment))`},
		{EnvironmentACC, "https://127.0.0.1:8080/REST/oauth/v5/token", // postForm's requests arrive over TLS
			`client_assertion aud is "https://127.0.0.1:8080/REST/oauth/v5/token"; want "https://services-acpt.socialsecurity.be/REST/oauth/v5/token" (that is this server's own token URL, the audience of environment local; this server plays environment acc; to accept it, run flamock serve --environment local (config key oauth.environment))`},
	}
	for _, tt := range tests {
		t.Run(tt.env+"/"+tt.aud, func(t *testing.T) {
			clk := newClock()
			cfg := testConfig(t, clk)
			cfg.Audience = ""
			cfg.Environment = tt.env
			j := journal.New(journal.Config{})
			cfg.Journal = j
			srv, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c := claimsFor(employerID, clk.Now())
			c["aud"] = tt.aud
			r := postForm(form(sign(t, "RS256", c, key, nil)).Encode())
			r.Host = "127.0.0.1:8080"
			if got := refusal(t, srv, j, r, "invalid_client", journal.StageAud); got != tt.want {
				t.Errorf("description\n got %s\nwant %s", got, tt.want)
			}
			// The environment's own audience is accepted.
			c = claimsFor(employerID, clk.Now())
			c["aud"] = srv.audience(r)
			r = postForm(form(sign(t, "RS256", c, key, nil)).Encode())
			r.Host = "127.0.0.1:8080"
			if w, body := do(t, srv, r); w.Code != 200 {
				t.Errorf("own audience refused: %v", body)
			}
		})
	}
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Environment: "test"}, `environment "test"; want one of local, acc, prod`},
		{Config{Environment: EnvironmentACC, Audience: ProductionAudience}, `audience "https://services.socialsecurity.be/REST/oauth/v5/token" contradicts environment acc, whose audience is "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"; set one of them`},
	} {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v; want %q", tt.cfg, err, tt.want)
		}
	}
	// A JWT access token of acc names acc's origin as its issuer.
	cfg := testConfig(t, newClock())
	cfg.Audience, cfg.Environment = "", EnvironmentACC
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := srv.IssueToken(employerID)
	var c AccessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil || c.Issuer != "https://services-acpt.socialsecurity.be" {
		t.Errorf("iss %q (%v)", c.Issuer, err)
	}
}

// TestHints: the near misses of mainstream libraries are named in their
// terms; the refusal is exactly as strict as without the hint.
func TestHints(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t, clk)
	cfg.Algorithms = append(DefaultAlgorithms(), "ES256")
	p256 := mustBundle(t, certgen.Request{Key: certgen.P256, AllowNonCompliant: true, CommonName: "p256"})
	cfg.Clients = append(cfg.Clients, Client{ID: "es256_client", Quality: QualityEmployer, Certificates: certsOf(p256)})
	pol := certgen.DefaultPolicy()
	pol.Curves = append(pol.Curves, "P-256")
	cfg.Policy = &pol
	j := journal.New(journal.Config{})
	cfg.Journal = j
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := testBundles(t)
	now := clk.Now()
	rsaKey := b[certgen.RSA2048].Key
	with := func(id string, k string, v any) jwt.MapClaims { c := claimsFor(id, now); c[k] = v; return c }

	t.Run("aud is the issuer", func(t *testing.T) {
		for _, aud := range []string{"https://services.socialsecurity.be", "https://services.socialsecurity.be/"} {
			got := refusal(t, srv, j, postForm(form(sign(t, "RS256", with(employerID, "aud", aud), rsaKey, nil)).Encode()), "invalid_client", journal.StageAud)
			want := `client_assertion aud is "` + aud + `"; want "https://services.socialsecurity.be/REST/oauth/v5/token" ("` + aud + `" looks like an issuer; libraries such as openid-client and oauth4webapi put the issuer in aud by default — set it to the token URL)`
			if got != want {
				t.Errorf("description\n got %s\nwant %s", got, want)
			}
		}
	})

	t.Run("exp an hour after iat", func(t *testing.T) {
		got := refusal(t, srv, j, postForm(form(sign(t, "RS256", with(employerID, "exp", now.Add(time.Hour).Unix()), rsaKey, nil)).Encode()), "invalid_client", journal.StageLifetime)
		want := "client_assertion exp is 3600 s after iat; at most 600 s allowed; 3600 s is the default lifetime of several libraries (Authlib's among them): set exp explicitly"
		if got != want {
			t.Errorf("description\n got %s\nwant %s", got, want)
		}
	})
	t.Run("exp an hour ahead, no iat", func(t *testing.T) {
		c := with(employerID, "exp", now.Add(time.Hour+20*time.Second).Unix())
		delete(c, "iat")
		got := refusal(t, srv, j, postForm(form(sign(t, "RS256", c, rsaKey, nil)).Encode()), "invalid_client", journal.StageLifetime)
		want := "client_assertion exp is 3620 s after now (server time 2026-03-02T09:30:00Z, no iat); at most 600 s allowed (+60 s clock skew); 3600 s is the default lifetime of several libraries (Authlib's among them): set exp explicitly"
		if got != want {
			t.Errorf("description\n got %s\nwant %s", got, want)
		}
	})
	t.Run("exp two hours: no hint", func(t *testing.T) {
		got := refusal(t, srv, j, postForm(form(sign(t, "RS256", with(employerID, "exp", now.Add(2*time.Hour).Unix()), rsaKey, nil)).Encode()), "invalid_client", journal.StageLifetime)
		if got != "client_assertion exp is 7200 s (about 2 hours) after iat; at most 600 s allowed" {
			t.Errorf("description %s", got)
		}
	})

	for _, tt := range []struct {
		alg, client string
		key         *ecdsa.PrivateKey
		hash        func([]byte) []byte
		want        int
	}{
		{"ES256", "es256_client", p256.Key.(*ecdsa.PrivateKey), func(b []byte) []byte { h := jwt.SigningMethodES256.Hash.New(); h.Write(b); return h.Sum(nil) }, 64},
		{"ES384", providerID, b[certgen.P384].Key.(*ecdsa.PrivateKey), func(b []byte) []byte { h := sha512.Sum384(b); return h[:] }, 96},
		{"ES512", trainerID, b[certgen.P521].Key.(*ecdsa.PrivateKey), func(b []byte) []byte { h := sha512.Sum512(b); return h[:] }, 132},
	} {
		t.Run("DER "+tt.alg, func(t *testing.T) {
			// What Java's Signature.getInstance("SHA384withECDSA") returns:
			// an ASN.1 DER ECDSA-Sig-Value.
			input := b64([]byte(`{"alg":"`+tt.alg+`"}`)) + "." + b64([]byte(mustJSON(claimsFor(tt.client, now))))
			der, err := ecdsa.SignASN1(rand.Reader, tt.key, tt.hash([]byte(input)))
			if err != nil {
				t.Fatal(err)
			}
			got := refusal(t, srv, j, postForm(form(input+"."+b64(der)).Encode()), "invalid_client", journal.StageSignature)
			want := "client_assertion " + tt.alg + " signature is " + itoa(len(der)) + " bytes and is DER/ASN.1-encoded; JWS needs the raw r||s form (RFC 7518 §3.4) of " + itoa(tt.want) + " bytes: convert it (Java: SHA384withECDSAinP1363Format, or ECDSA.transcodeSignatureToConcat)"
			if got != want {
				t.Errorf("description\n got %s\nwant %s", got, want)
			}
		})
	}

	t.Run("typ and kid are never required, any kid is accepted", func(t *testing.T) {
		for _, h := range []map[string]any{nil, {"typ": "JWT"}, {"kid": "whatever-the-library-puts"}, {"kid": "1234", "typ": "jwt"}} {
			if w, body := do(t, srv, postForm(form(sign(t, "RS256", claimsFor(employerID, now), rsaKey, h)).Encode())); w.Code != 200 {
				t.Errorf("header %v: %d %v", h, w.Code, body)
			}
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
