package mockoauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/store"
)

// Server is the token endpoint: an http.Handler answering POST on
// Config.TokenPath, and the verifier of the access tokens it issued. All
// its methods are safe for concurrent use.
type Server struct {
	cfg    Config
	parser *jwt.Parser
	algs   map[string]bool

	mu      sync.RWMutex
	clients map[string]*client // configured; run-time changes are in layer (clients.go)
	state   store.State        // Config.State, or an embedded one
	layer   *store.Cached[*clientView]

	offset atomic.Int64 // clock offset, ns

	faults   store.Faults
	randMu   sync.Mutex // guards cfg.Rand when it is not crypto/rand
	replay   store.Replay
	tokens   *tokenStore
	grantsMu sync.Mutex
	grants   map[string]*grant // client id + "\x00" + scope string -> shared grant

	// JWT access tokens (Config.AccessTokens).
	sigKeyMu  sync.Mutex
	sigKey    atomic.Pointer[signingKey]
	lastStamp atomic.Int64 // see stamp
	jwtParser *jwt.Parser
	verified  verifyCache
	revoked   store.Revocations
	live      liveTokens
}

// New builds a Server from cfg. It reports every problem of cfg (and of its
// clients) at once.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("mockoauth: config: %w", err)
	}
	s := &Server{
		cfg: cfg,
		// The parser decodes (strict base64url, no padding) and supplies
		// the signing methods; the allow list, the key and the claims are
		// checked by token itself, in a fixed order, with precise
		// descriptions (the parser's own messages are generic).
		parser:  jwt.NewParser(jwt.WithStrictDecoding()),
		algs:    map[string]bool{},
		clients: map[string]*client{},
		replay:  cfg.Replay,
		faults:  cfg.Faults,
		tokens:  newTokenStore(cfg.MaxTokens),
		grants:  map[string]*grant{},
		// Access tokens: RS256 only, claims checked by parseJWT and
		// checkJWT with the server's clock.
		jwtParser: jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation()),
	}
	if s.replay == nil {
		s.replay = store.NewReplay(cfg.MaxReplayEntries)
	}
	if s.faults == nil {
		s.faults = store.NewFaults()
	}
	s.revoked = cfg.Revocations
	if s.revoked == nil {
		s.revoked = store.NewRevocations(cfg.MaxTokens)
	}
	s.live.max = cfg.MaxTokens
	if cfg.SigningKey != nil {
		s.sigKey.Store(newSigningKey(cfg.SigningKey, cfg.SigningKeyID))
	} else if s.jwt() {
		// Generate the key now, off the first token request's path (an
		// RSA 2048 key takes tens of milliseconds); jwtKey waits for it.
		go func() { _, _ = s.jwtKey() }()
	}
	for _, a := range cfg.Algorithms {
		s.algs[a] = true
	}
	var errs []error
	s.state = cfg.State
	if s.state == nil {
		s.state = store.NewState()
	}
	s.layer = store.NewCached(s.state, ClientsNamespace, s.loadClients)
	for _, c := range cfg.Clients {
		if err := s.RegisterClient(c); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("mockoauth: config: %w", errors.Join(errs...))
	}
	return s, nil
}

// Config returns the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// TokenPath returns the path the token endpoint answers on.
func (s *Server) TokenPath() string { return s.cfg.TokenPath }

// now is the server's clock: Config.Now plus the clock offset.
func (s *Server) now() time.Time {
	return s.cfg.Now().Add(time.Duration(s.offset.Load()))
}

// SetClockOffset shifts the server's clock by d (positive: the server is
// ahead of its clients), to simulate clock skew.
func (s *Server) SetClockOffset(d time.Duration) { s.offset.Store(int64(d)) }

// ClockOffset returns the offset set by SetClockOffset.
func (s *Server) ClockOffset() time.Duration { return time.Duration(s.offset.Load()) }

// ExpireTokens makes every issued token expired now; it returns how many.
func (s *Server) ExpireTokens() int { n, _ := s.expireTokens(""); return n }

// ExpireToken makes one issued token expired now; it reports whether the
// token was known.
func (s *Server) ExpireToken(token string) bool {
	n, _ := s.expireTokens(token)
	return token != "" && n == 1
}

// RevokeToken revokes one issued token; it reports whether it was known.
func (s *Server) RevokeToken(token string) bool {
	n, _ := s.revokeTokens(token)
	return token != "" && n == 1
}

// RevokeTokens revokes every issued token; it returns how many.
func (s *Server) RevokeTokens() int { n, _ := s.revokeTokens(""); return n }

// expireTokens expires one token (tok != "") or all; the error is the
// revocation store's (JWT access tokens), already logged.
func (s *Server) expireTokens(tok string) (int, error) {
	if s.jwt() {
		return s.changeJWTs(tok, false)
	}
	return s.expire(tok), nil
}

func (s *Server) revokeTokens(tok string) (int, error) {
	if s.jwt() {
		return s.changeJWTs(tok, true)
	}
	return s.tokens.update(tok, func(e *tokenEntry) { e.revoked = true }), nil
}

func (s *Server) expire(tok string) int {
	now := s.now().UnixNano()
	forget := now + int64(s.cfg.ExpiredTokenRetention)
	return s.tokens.update(tok, func(e *tokenEntry) {
		if e.expires > now {
			e.expires = now
			e.forget = min(e.forget, forget)
		}
	})
}

// Stats are the sizes of the server's bounded memories.
type Stats struct {
	Tokens        int `json:"tokens"`        // opaque access tokens remembered
	Revocations   int `json:"revocations"`   // JWT access tokens revoked or expired one by one, until their exp
	ReplayEntries int `json:"replayEntries"` // jti values remembered
}

// Stats returns the sizes of the token store, the revocation list and the
// replay cache; -1 for a store that cannot say.
func (s *Server) Stats() Stats {
	ctx := context.Background()
	st := Stats{Tokens: s.tokens.len(), Revocations: -1, ReplayEntries: -1}
	if n, err := s.revoked.Len(ctx); err == nil {
		st.Revocations = n
	}
	if n, err := s.replay.Len(ctx); err == nil {
		st.ReplayEntries = n
	}
	return st
}

// jwt reports whether access tokens are JWTs.
func (s *Server) jwt() bool { return s.cfg.AccessTokens != AccessTokensOpaque }

// newToken issues an access token for g at now: a JWT signed by iss, or an
// opaque token (32 random bytes, base64url) that the server remembers.
func (s *Server) newToken(g *grant, iss string, now time.Time) (string, error) {
	expires := now.Add(s.cfg.TokenTTL)
	if s.jwt() {
		tok, err := s.newJWT(g, iss, now)
		if err != nil {
			return "", err
		}
		s.live.add(expires.UnixNano(), now.UnixNano())
		return tok, nil
	}
	var b [32]byte
	if err := s.random(b[:]); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	s.tokens.put(tok, tokenEntry{grant: g, expires: expires.UnixNano(), forget: expires.Add(s.cfg.ExpiredTokenRetention).UnixNano()}, now.UnixNano())
	return tok, nil
}

// Fingerprint is how the journal names an access token: the first 16 hex
// digits of its SHA-256, the same in the token endpoint's and the API mock's
// events. The token itself is never journaled.
func Fingerprint(token string) string { return bearer.Fingerprint(token) }

// grantFor returns the shared grant of a client for a scope set.
func (s *Server) grantFor(c *client, scopes []string, scopeStr string) *grant {
	key := c.ID + "\x00" + scopeStr
	s.grantsMu.Lock()
	defer s.grantsMu.Unlock()
	if g, ok := s.grants[key]; ok && g.caller.Quality == c.Quality && g.caller.EnterpriseNumber == c.EnterpriseNumber {
		return g
	}
	g := &grant{caller: Caller{ClientID: c.ID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Scopes: slices.Clone(scopes)}, scopeStr: scopeStr}
	if len(s.grants) < 10000 { // bounded: scope sets are few in practice
		s.grants[key] = g
	}
	return g
}
