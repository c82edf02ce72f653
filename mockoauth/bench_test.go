package mockoauth

import (
	"context"
	"crypto"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/store"
	"github.com/golang-jwt/jwt/v5"
)

// presign signs n RS256 assertions for the employer, using every core.
func presign(tb testing.TB, key crypto.Signer, n int, now time.Time, life time.Duration) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	workers := 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				c := claimsFor(employerID, now)
				c["exp"] = now.Add(life).Unix()
				out[i] = form(sign(tb, "RS256", c, key, nil)).Encode()
			}
		})
	}
	wg.Wait()
	return out
}

// BenchmarkTokenRS256 is one RS256 (RSA-2048) token request through the
// handler, with every check (signature, claims, replay cache), issuing a
// JWT access token (signed RS256 with an RSA-2048 key) or an opaque one
// (remembered in the token store). The pool of pre-signed assertions is
// reused with a fresh replay cache, outside the timer.
func BenchmarkTokenRS256(b *testing.B) {
	for _, format := range []string{AccessTokensJWT, AccessTokensOpaque} {
		b.Run(format, func(b *testing.B) { benchmarkToken(b, format) })
	}
}

func benchmarkToken(b *testing.B, format string) {
	clk := newClock()
	cfg := testConfig(b, clk)
	cfg.AccessTokens = format
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	pool := presign(b, testBundles(b)[certgen.RSA2048].Key, 2000, clk.Now(), 5*time.Minute)
	reqs := make([]*http.Request, len(pool))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(pool)
		if j == 0 {
			b.StopTimer()
			srv.replay = store.NewReplay(srv.cfg.MaxReplayEntries)
			for k, body := range pool {
				reqs[k] = postForm(body)
			}
			b.StartTimer()
		}
		clear(w.h)
		w.code = 0
		srv.ServeHTTP(w, reqs[j])
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkRS256Verify is the signature verification alone, for comparison.
func BenchmarkRS256Verify(b *testing.B) {
	bundle := testBundles(b)[certgen.RSA2048]
	a := sign(b, "RS256", claimsFor(employerID, t0), bundle.Key, nil)
	i := strings.LastIndexByte(a, '.')
	sig, _ := jwt.NewParser().DecodeSegment(a[i+1:])
	b.ReportAllocs()
	for b.Loop() {
		if err := jwt.SigningMethodRS256.Verify(a[:i], sig, bundle.Cert.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAccessToken is the check of a bearer token on an API call:
// for a JWT, a token seen before (the signature was verified once and
// cached) and a token seen for the first time (an RSA verification).
func BenchmarkVerifyAccessToken(b *testing.B) {
	for _, format := range []string{AccessTokensJWT, AccessTokensOpaque} {
		b.Run(format, func(b *testing.B) { benchmarkVerify(b, format, false) })
	}
	b.Run("jwt-first-sight", func(b *testing.B) { benchmarkVerify(b, AccessTokensJWT, true) })
}

func benchmarkVerify(b *testing.B, format string, cold bool) {
	cfg := testConfig(b, newClock())
	cfg.AccessTokens = format
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := srv.IssueToken(employerID)
	req := []string{ScopeEmployer}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if cold {
			srv.verified.mu.Lock()
			clear(srv.verified.m)
			srv.verified.mu.Unlock()
		}
		if _, err := srv.VerifyAccessToken(ctx, tok, req); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// TestLoadServer is not a test but the server of a loopback load run; it
// runs only when FLAMOCK_LOAD_ADDR is set:
//
//	FLAMOCK_LOAD_ADDR=127.0.0.1:8089 FLAMOCK_LOAD_N=200000 FLAMOCK_LOAD_FILE=/tmp/bodies.txt \
//	FLAMOCK_LOAD_SECONDS=60 ./mockoauth.test -test.run TestLoadServer -test.v
//
// It writes FLAMOCK_LOAD_N pre-signed RS256 (RSA-2048) form bodies to
// FLAMOCK_LOAD_FILE, one a line, and the client's certificate and key to
// FLAMOCK_LOAD_FILE.pem (both reused when they exist), then serves the
// token endpoint with full verification for FLAMOCK_LOAD_SECONDS, issuing
// FLAMOCK_LOAD_TOKENS access tokens (jwt, the default, or opaque). The
// assertions live 24 h so that one file serves many runs; the server allows
// that lifetime (MaxAssertionLifetime) and otherwise runs the defaults,
// replay cache included, so every body is accepted once per server run.
func TestLoadServer(t *testing.T) {
	addr := os.Getenv("FLAMOCK_LOAD_ADDR")
	if addr == "" {
		t.Skip("FLAMOCK_LOAD_ADDR not set")
	}
	n, _ := strconv.Atoi(os.Getenv("FLAMOCK_LOAD_N"))
	secs, _ := strconv.Atoi(os.Getenv("FLAMOCK_LOAD_SECONDS"))
	file := os.Getenv("FLAMOCK_LOAD_FILE")
	var bundle *certgen.Bundle
	if l, err := certgen.LoadFile(file+".pem", ""); err == nil {
		if bundle, err = l.Bundle(); err != nil {
			t.Fatal(err)
		}
	} else {
		bundle = mustBundle(t, certgen.Request{Now: time.Now, CommonName: "load"})
		keyPEM, _ := bundle.KeyPEM()
		if err := os.WriteFile(file+".pem", append(bundle.CertPEM(), keyPEM...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(file); err != nil {
		start := time.Now()
		bodies := presign(t, bundle.Key, n, time.Now(), 24*time.Hour)
		if err := os.WriteFile(file, []byte(strings.Join(bodies, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("signed %d assertions in %v", n, time.Since(start))
	}
	srv, err := New(Config{
		Audience:             ProductionAudience,
		AccessTokens:         os.Getenv("FLAMOCK_LOAD_TOKENS"), // jwt (default) or opaque
		MaxAssertionLifetime: 25 * time.Hour,
		QualityScopes:        testQualityScopes(),
		Clients:              []Client{{ID: employerID, Quality: QualityEmployer, Certificates: certsOf(bundle)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	t.Logf("serving %s for %d s", addr, secs)
	time.Sleep(time.Duration(secs) * time.Second)
	hs.Close()
	t.Logf("stats %+v", srv.Stats())
}
