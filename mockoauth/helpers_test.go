package mockoauth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/beid"
	"github.com/golang-jwt/jwt/v5"
)

// t0 is the tests' fixed "now".
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock               { c := &clock{}; c.ns.Store(t0.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

const (
	employerID = "self_service_chaman_123456_abcdefghij"
	providerID = "self_service_chaman_654321_providerxx"
	trainerID  = "self_service_chaman_777777_trainerxxx"
	otherID    = "self_service_chaman_999999_otherxxxxx"
	expiredID  = "self_service_chaman_111111_expiredxxx"
	disabledID = "self_service_chaman_222222_disabledxx"
)

var (
	bundleOnce sync.Once
	bundles    map[certgen.KeyType]*certgen.Bundle
	extra      struct{ other, attacker, expired, rsa2, disabled, signing *certgen.Bundle }
)

func mustBundle(t testing.TB, r certgen.Request) *certgen.Bundle {
	t.Helper()
	if r.CommonName == "" {
		r.CommonName = "flamock test " + string(r.Key)
	}
	if r.Now == nil {
		r.Now = func() time.Time { return t0 }
	}
	b, err := certgen.Create(r)
	if err != nil {
		t.Fatalf("certgen.Create: %v", err)
	}
	return b
}

// testBundles makes the certificates once per test binary (RSA 4096 is slow).
func testBundles(t testing.TB) map[certgen.KeyType]*certgen.Bundle {
	t.Helper()
	bundleOnce.Do(func() {
		bundles = map[certgen.KeyType]*certgen.Bundle{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, k := range certgen.KeyTypes() {
			wg.Go(func() {
				b := mustBundle(t, certgen.Request{Key: k})
				mu.Lock()
				bundles[k] = b
				mu.Unlock()
			})
		}
		wg.Go(func() { extra.other = mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "other"}) })
		wg.Go(func() { extra.attacker = mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "attacker"}) })
		wg.Go(func() {
			extra.rsa2 = mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "employer rotated"})
		})
		wg.Go(func() { extra.disabled = mustBundle(t, certgen.Request{Key: certgen.P384, CommonName: "disabled"}) })
		wg.Go(func() {
			extra.signing = mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "access token signing"})
		})
		wg.Go(func() {
			extra.expired = mustBundle(t, certgen.Request{Key: certgen.RSA2048, CommonName: "expired", AllowNonCompliant: true,
				NotBefore: t0.Add(-400 * 24 * time.Hour), NotAfter: t0.Add(-24 * time.Hour)})
		})
		wg.Wait()
	})
	return bundles
}

func enterprise(t testing.TB, prefix string) string {
	n, err := beid.EnterpriseNumberCheckDigits(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testConfig registers one client per quality and a few for negative tests.
func testConfig(t testing.TB, clk *clock) Config {
	t.Helper()
	b := testBundles(t)
	return Config{
		Audience:      ProductionAudience,
		Now:           clk.Now,
		QualityScopes: testQualityScopes(),
		SigningKey:    extra.signing.Key.(*rsa.PrivateKey),
		Clients: []Client{
			{ID: employerID, Quality: QualityEmployer, EnterpriseNumber: enterprise(t, "08808206"), Certificates: certsOf(b[certgen.RSA2048])},
			{ID: providerID, Quality: QualityProvider, EnterpriseNumber: enterprise(t, "04123456"), Certificates: certsOf(b[certgen.P384])},
			{ID: trainerID, Quality: QualityTrainingProvider, EnterpriseNumber: enterprise(t, "08123456"), Certificates: certsOf(b[certgen.P521], b[certgen.RSA3072], b[certgen.RSA4096])},
			{ID: otherID, Quality: QualityEmployer, Certificates: certsOf(extra.other)},
			{ID: expiredID, Quality: QualityEmployer, Certificates: certsOf(extra.expired)},
			{ID: disabledID, Quality: QualityEmployer, Certificates: certsOf(extra.disabled), Disabled: true},
		},
	}
}

func certsOf(bs ...*certgen.Bundle) []*x509.Certificate {
	out := make([]*x509.Certificate, len(bs))
	for i, b := range bs {
		out[i] = b.Cert
	}
	return out
}

// claimsFor are good claims for client id at time now.
func claimsFor(id string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": id, "sub": id, "aud": ProductionAudience,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": rand.Text(),
	}
}

// sign makes a JWS with golang-jwt (the test's client side).
func sign(t testing.TB, alg string, claims jwt.MapClaims, key crypto.Signer, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", alg, err)
	}
	return s
}

// rawJWS assembles a JWS from raw header and claims JSON and a signature.
func rawJWS(header, claims string, sig []byte) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(header)) + "." + e([]byte(claims)) + "." + e(sig)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// form is a good token request body for an assertion.
func form(assertion string) url.Values {
	return url.Values{
		"grant_type":            {GrantTypeClientCredentials},
		"client_assertion_type": {ClientAssertionType},
		"client_assertion":      {assertion},
	}
}

func postForm(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, ProductionAudience, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// do sends r to h and decodes the answer.
func do(t testing.TB, h http.Handler, r *http.Request) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("response body %q is not JSON: %v", w.Body.String(), err)
	}
	return w, body
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func httptestRecorder(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
