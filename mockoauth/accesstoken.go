package mockoauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/expheap"
	"github.com/flamock/flamock/store"
	"github.com/golang-jwt/jwt/v5"
)

// Access token formats (Config.AccessTokens).
const (
	// AccessTokensJWT: RS256-signed JWTs, as the portal issues (the zero
	// value).
	AccessTokensJWT = "jwt"
	// AccessTokensOpaque: 32 random bytes, base64url, remembered by the
	// server (flamock's behaviour before JWTs).
	AccessTokensOpaque = "opaque"
)

// DefaultJWKSPath is where the public keys of JWT access tokens are
// published, as a JWK Set (RFC 7517 §5).
const DefaultJWKSPath = "/REST/oauth/v5/jwks"

// ClaimEnterpriseNumber is the access token claim holding the client's
// enterprise number: the name of the principal attribute that holds it in
// the portal's token introspection responses.
const ClaimEnterpriseNumber = "urn:be:fgov:kbo-bce:organization:cbe-number"

// AccessClaims are the claims of a JWT access token. A claim with no value
// is left out (a client of the generic profile has no quality; one with no
// scope gets none).
type AccessClaims struct {
	jwt.RegisteredClaims        // iss, sub (the client id), exp, iat, jti
	ClientID             string `json:"client_id"`
	Scope                string `json:"scope,omitempty"` // granted scopes, space-separated
	Quality              string `json:"quality,omitempty"`
	EnterpriseNumber     string `json:"urn:be:fgov:kbo-bce:organization:cbe-number,omitempty"`
}

// signingKey is the RSA key of JWT access tokens and its JWK.
type signingKey struct {
	key *rsa.PrivateKey
	kid string
	jwk map[string]string
}

func newSigningKey(key *rsa.PrivateKey, kid string) *signingKey {
	n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())
	if kid == "" {
		// RFC 7638 thumbprint: SHA-256 of the required members in
		// lexicographic order, without white space. The "oauth" prefix
		// mirrors the portal's key ids.
		sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
		kid = "oauth-" + base64.RawURLEncoding.EncodeToString(sum[:])[:16]
	}
	return &signingKey{key: key, kid: kid, jwk: map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}}
}

// jwtKey returns the signing key, generating an RSA 2048 key the first time
// when Config.SigningKey is nil.
func (s *Server) jwtKey() (*signingKey, error) {
	if k := s.sigKey.Load(); k != nil {
		return k, nil
	}
	s.sigKeyMu.Lock()
	defer s.sigKeyMu.Unlock()
	if k := s.sigKey.Load(); k != nil {
		return k, nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate the access token signing key: %w", err)
	}
	k := newSigningKey(key, s.cfg.SigningKeyID)
	s.sigKey.Store(k)
	return k, nil
}

// JWKS returns the public keys of JWT access tokens as a JWK Set, as
// published at Config.JWKSPath. With opaque access tokens it is empty.
func (s *Server) JWKS() (map[string]any, error) {
	if s.cfg.AccessTokens == AccessTokensOpaque {
		return map[string]any{"keys": []any{}}, nil
	}
	k, err := s.jwtKey()
	if err != nil {
		return nil, fmt.Errorf("mockoauth: %w", err)
	}
	return map[string]any{"keys": []any{k.jwk}}, nil
}

// JWKSPath returns the path the JWK Set is published on.
func (s *Server) JWKSPath() string { return s.cfg.JWKSPath }

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, ErrInvalidRequest.Describe("method is %s; the JWK Set is read with GET", r.Method), http.Header{"Allow": {"GET, HEAD"}})
		return
	}
	set, err := s.JWKS()
	if err != nil {
		s.cfg.Logger.Error("mockoauth: jwks", "err", err)
		writeError(w, http.StatusInternalServerError, (&Error{Code: "server_error"}).Describe("%v", err), nil)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_ = json.NewEncoder(w).Encode(set)
	}
}

// issuer is the iss of the access tokens issued for a request whose
// assertion had to name audience: Config.Issuer, else the audience's
// origin (scheme and host).
func (s *Server) issuer(audience string) string {
	if s.cfg.Issuer != "" {
		return s.cfg.Issuer
	}
	return origin(audience)
}

// origin is "scheme://host" of an absolute URL, or "" when it is not one.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// fixedIssuer is the issuer every token of this server carries, or "" when
// it depends on the URL a request reached.
func (s *Server) fixedIssuer() string {
	if s.cfg.Issuer != "" {
		return s.cfg.Issuer
	}
	if s.cfg.Audience != "" {
		return origin(s.cfg.Audience)
	}
	return ""
}

// newJWT signs an access token for g, issued at now by iss.
func (s *Server) newJWT(g *grant, iss string, now time.Time) (string, error) {
	k, err := s.jwtKey()
	if err != nil {
		return "", err
	}
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.stamp(now)))
	if err := s.random(b[8:]); err != nil {
		return "", err
	}
	c := &AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   g.caller.ClientID,
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.TokenTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(b[:]),
		},
		ClientID:         g.caller.ClientID,
		Scope:            g.scopeStr,
		Quality:          g.caller.Quality,
		EnterpriseNumber: g.caller.EnterpriseNumber,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = k.kid
	return t.SignedString(k.key)
}

// random fills b from Config.Rand (crypto/rand when nil).
func (s *Server) random(b []byte) error {
	if s.cfg.Rand == nil {
		_, err := rand.Read(b)
		return err
	}
	s.randMu.Lock()
	defer s.randMu.Unlock()
	_, err := io.ReadFull(s.cfg.Rand, b)
	return err
}

// stamp returns a strictly increasing instant, at least now in unix ns: the
// order of tokens and of revoke/expire-all calls, even when the clock
// stands still (a test clock) or two calls share a nanosecond.
func (s *Server) stamp(now time.Time) int64 {
	for {
		last := s.lastStamp.Load()
		next := max(now.UnixNano(), last+1)
		if s.lastStamp.CompareAndSwap(last, next) {
			return next
		}
	}
}

// jtiTime is the stamp a jti of this server encodes (8 bytes of unix
// nanoseconds, then 16 random bytes), so that revoking or expiring "every
// token issued so far" needs no list of tokens.
func jtiTime(jti string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(jti)
	if err != nil || len(b) != 24 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b[:8])), true
}

// verified is what the signature check of a JWT access token established.
type verified struct {
	caller  Caller
	jti     string
	issued  int64 // unix ns, from the jti
	expires int64 // unix ns
}

// verifyCache remembers tokens whose signature verified, so that an API
// call with a token already seen costs a map lookup, not an RSA
// verification. It is a cache: dropping it changes nothing but speed. At
// most verifyCacheMax tokens (about 1 KiB each) are held.
type verifyCache struct {
	mu sync.Mutex
	m  map[string]*verified // by token
}

const verifyCacheMax = 16 << 10

func (c *verifyCache) get(k string) *verified {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *verifyCache) put(k string, v *verified) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= verifyCacheMax {
		c.m = make(map[string]*verified)
	}
	c.m[k] = v
}

// parseJWT verifies a JWT access token's signature and claims (not its
// revocation). A token that is not one of ours is ErrInvalid.
func (s *Server) parseJWT(token string) (*verified, error) {
	if v := s.verified.get(token); v != nil {
		return v, nil
	}
	k, err := s.jwtKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if name, de := s.jwsDepth(token); de != nil {
		return nil, fmt.Errorf("%w: not a JWT of this token server (its %s nests deeper than %d levels)", ErrInvalid, name, de.Max)
	}
	var c AccessClaims
	_, err = s.jwtParser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != k.kid {
			return nil, fmt.Errorf("kid %q is not the key id of this server (%s)", truncate(kid, 40), k.kid)
		}
		return &k.key.PublicKey, nil
	})
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, fmt.Errorf("%w: not a JWT of this token server (%v)", ErrInvalid, err)
	case err != nil:
		return nil, fmt.Errorf("%w: not signed by this token server (%v)", ErrInvalid, err)
	}
	issued, ok := jtiTime(c.ID)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: jti %q was not made by this token server", ErrInvalid, truncate(c.ID, 40))
	case c.ExpiresAt == nil || c.IssuedAt == nil:
		return nil, fmt.Errorf("%w: exp or iat missing", ErrInvalid)
	case c.Subject == "" || c.Subject != c.ClientID:
		return nil, fmt.Errorf("%w: sub %q and client_id %q differ", ErrInvalid, truncate(c.Subject, 80), truncate(c.ClientID, 80))
	case c.Issuer == "" || (s.fixedIssuer() != "" && c.Issuer != s.fixedIssuer()):
		return nil, fmt.Errorf("%w: iss %q; want %q", ErrInvalid, truncate(c.Issuer, 80), s.fixedIssuer())
	}
	v := &verified{
		caller:  Caller{ClientID: c.Subject, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Scopes: strings.Fields(c.Scope)},
		jti:     c.ID,
		issued:  issued,
		expires: c.ExpiresAt.UnixNano(),
	}
	s.verified.put(token, v)
	return v, nil
}

// checkJWT adds to a verified token what the revocation store says; an
// error of the store itself is returned as it is (it matches
// store.ErrUnavailable when the store cannot be reached).
func (s *Server) checkJWT(ctx context.Context, v *verified, now time.Time) error {
	w, err := s.revoked.Watermarks(ctx)
	if err != nil {
		return err
	}
	if v.issued < w.RevokedBefore {
		return fmt.Errorf("%w: token of client %s", ErrRevoked, v.caller.ClientID)
	}
	expires := v.expires
	if v.issued < w.ExpiredBefore {
		expires = min(expires, w.ExpiredAt.UnixNano())
	}
	c, ok, err := s.revoked.Token(ctx, v.jti)
	if err != nil {
		return err
	}
	if ok {
		if c.Revoked {
			return fmt.Errorf("%w: token of client %s", ErrRevoked, v.caller.ClientID)
		}
		if !c.Expires.IsZero() {
			expires = min(expires, c.Expires.UnixNano())
		}
	}
	if exp := time.Unix(0, expires); !now.Before(exp) {
		return fmt.Errorf("%w at %s (server time %s)", ErrExpired, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// changeJWTs applies a revoke or an early expiry to one JWT access token
// (token != "") or to every token issued so far; it returns how many tokens
// it knows it touched (for all: the tokens issued and not yet expired). A
// revocation store error is logged and returned.
func (s *Server) changeJWTs(token string, revoke bool) (int, error) {
	n, err := s.changeJWTsIn(context.Background(), token, revoke)
	if err != nil {
		s.cfg.Logger.Error("mockoauth: revocation store failed; the tokens are unchanged", "err", err)
	}
	return n, err
}

func (s *Server) changeJWTsIn(ctx context.Context, token string, revoke bool) (int, error) {
	now := s.now()
	if token == "" {
		var err error
		if revoke {
			err = s.revoked.RevokeBefore(ctx, s.stamp(now))
		} else {
			err = s.revoked.ExpireBefore(ctx, s.stamp(now), now)
		}
		if err != nil {
			return 0, err
		}
		return s.live.reset(now.UnixNano()), nil
	}
	v, err := s.parseJWT(token)
	if err != nil {
		return 0, nil
	}
	forget := time.Unix(0, v.expires)
	if forget.Before(now) {
		forget = now.Add(s.cfg.ExpiredTokenRetention)
	}
	c := store.TokenChange{Revoked: revoke}
	if !revoke {
		c.Expires = now
	}
	if err := s.revoked.Change(ctx, v.jti, c, now, forget); err != nil {
		return 0, err
	}
	return 1, nil
}

// liveTokens counts the JWT access tokens issued and not yet past their
// exp, for the counts the revoke and expire knobs answer; it holds one
// timestamp per token, at most MaxTokens.
type liveTokens struct {
	mu   sync.Mutex
	max  int
	heap expheap.Heap[struct{}]
}

func (l *liveTokens) add(expires, now int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evict(now)
	if len(l.heap) >= l.max {
		l.heap.Pop()
	}
	l.heap.Push(expires, struct{}{})
}

func (l *liveTokens) evict(now int64) {
	for len(l.heap) > 0 && l.heap.Next() <= now {
		l.heap.Pop()
	}
}

// reset forgets every token (they have just been revoked or expired) and
// returns how many were live.
func (l *liveTokens) reset(now int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evict(now)
	n := len(l.heap)
	l.heap = l.heap[:0]
	return n
}
