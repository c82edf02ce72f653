package mockoauth

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/store"
)

// Protocol constants.
const (
	// DefaultTokenPath is the path of the Social Security OAuth v5 token
	// endpoint (domain.md §1.1).
	DefaultTokenPath = "/REST/oauth/v5/token"
	// ProductionAudience is the audience the production token endpoint
	// expects: its own URL (seed §6.1 example).
	ProductionAudience = "https://services.socialsecurity.be/REST/oauth/v5/token"
	// GrantTypeClientCredentials is the only grant the endpoint serves (RFC 6749 §4.4.2).
	GrantTypeClientCredentials = "client_credentials"
	// ClientAssertionType is the client assertion type of private_key_jwt (RFC 7523 §2.2).
	ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// Defaults of the zero Config.
const (
	DefaultTokenTTL              = 600 * time.Second
	DefaultMaxAssertionLifetime  = 10 * time.Minute
	DefaultClockSkew             = 60 * time.Second
	DefaultMaxFormBytes          = 64 << 10
	DefaultMaxAssertionBytes     = 16 << 10
	DefaultMaxReplayEntries      = 1 << 20
	DefaultMaxTokens             = 1 << 20
	DefaultExpiredTokenRetention = 10 * time.Minute
)

// DefaultAlgorithms are the JWS algorithms accepted by default: every RSA
// and EC algorithm a certificate allowed by the portal's policy can sign
// with (RSA 2048-4096: RS*, PS*; P-384: ES384; P-521: ES512).
func DefaultAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES384", "ES512"}
}

// supportedAlgorithms are those Config.Algorithms may name. Symmetric (HS*),
// "none" and EdDSA are never accepted: the portal registers RSA and EC
// certificates only.
var supportedAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// Config describes a token endpoint. The zero value is a working endpoint
// with no clients; every field documents its zero value. New copies it.
type Config struct {
	// Clients are registered at start, as AddClient would.
	Clients []Client

	// TokenPath is where the endpoint answers. Default DefaultTokenPath.
	TokenPath string

	// Audience is the exact value the assertion's aud must hold: the
	// endpoint's public URL. Empty means the endpoint's own URL at the
	// address the connection reached: "https" when the connection is TLS
	// (else "http"), the listener's local address (for a listener on every
	// interface, the address the client connected to) and TokenPath; never
	// the Host header, which the client chooses (it would become the
	// audience and the access tokens' iss). Behind a proxy, a port mapping
	// or a DNS name, set it to the URL the clients use. TestServer sets it
	// to its TokenURL. Set ProductionAudience to accept assertions made for
	// production.
	Audience string

	// Environment is the environment the endpoint plays: EnvironmentLocal
	// (the zero value "" means it), EnvironmentACC or EnvironmentProd. acc
	// and prod set the audience (ACCAudience, ProductionAudience) when
	// Audience is empty, and contradict any other Audience. An assertion
	// made for another known environment (including the v3 audiences) is
	// refused with a description naming both environments.
	Environment string

	// Issuer is the iss of JWT access tokens. Empty means the origin
	// (scheme://host) of the audience: of Audience when set, else of the
	// URL the token request reached ("http://localhost" for IssueToken).
	Issuer string

	// AccessTokens is the access token format: AccessTokensJWT (the zero
	// value "" means it): RS256-signed JWTs whose public key is published at
	// JWKSPath and which VerifyAccessToken checks by signature and claims,
	// with a small revocation list for the revoke and expire knobs; or
	// AccessTokensOpaque: random strings the server remembers.
	AccessTokens string

	// SigningKey signs JWT access tokens (RS256). Nil means an RSA 2048 key
	// generated with crypto/rand, in the background from New on (the first
	// token request waits for it if it comes sooner).
	SigningKey *rsa.PrivateKey
	// SigningKeyID is the kid of JWT access tokens and of the JWK. Empty
	// means "oauth-" and the first 16 characters of the key's RFC 7638
	// thumbprint.
	SigningKeyID string
	// JWKSPath is where the JWK Set of the signing key is published.
	// Default DefaultJWKSPath.
	JWKSPath string

	// Algorithms is the JWS "alg" allow list. Nil means DefaultAlgorithms.
	// Only RS*, PS* and ES256/384/512 may be named.
	Algorithms []string

	// QualityScopes gives, per quality (the qualities a client registers
	// under in Chaman, as the profile names them, e.g. "employer"), the
	// scopes a client may ask for, which are also the scopes it gets when it
	// sends no scope parameter. A profile supplies it (for the FLA,
	// fla.Qualities()). Nil means no quality is known: every client must
	// then have its own Client.Scopes, which overrides the quality's scopes
	// in any case. The map is copied.
	QualityScopes map[string][]string

	// TokenTTL is the lifetime of an access token (expires_in). Zero means
	// DefaultTokenTTL (600 s).
	TokenTTL time.Duration

	// MaxAssertionLifetime bounds exp − iat (exp − now when iat is absent).
	// Zero means DefaultMaxAssertionLifetime (10 min, seed §6.1).
	MaxAssertionLifetime time.Duration

	// ClockSkew is the leeway for exp, iat and nbf. Zero means
	// DefaultClockSkew (60 s); a negative value means no leeway.
	ClockSkew time.Duration

	// MaxFormBytes bounds the request body. Zero means DefaultMaxFormBytes (64 KiB).
	MaxFormBytes int
	// MaxAssertionBytes bounds client_assertion. Zero means DefaultMaxAssertionBytes (16 KiB).
	MaxAssertionBytes int

	// MaxReplayEntries bounds the replay cache (one entry per accepted jti
	// until its assertion expires). At the bound, after evicting expired
	// entries, new assertions are refused with 503 temporarily_unavailable
	// and Retry-After. Zero means DefaultMaxReplayEntries (1 Mi entries,
	// about 80 MB).
	MaxReplayEntries int

	// MaxTokens bounds the issued tokens remembered. At the bound the token
	// closest to being forgotten is forgotten early (VerifyAccessToken then
	// answers ErrInvalid for it). Zero means DefaultMaxTokens (1 Mi).
	MaxTokens int

	// ExpiredTokenRetention is how long an expired token is still
	// recognised (VerifyAccessToken answers ErrExpired, not ErrInvalid).
	// Zero means DefaultExpiredTokenRetention (10 min); negative means none.
	ExpiredTokenRetention time.Duration

	// InvalidClientStatus is the HTTP status of invalid_client: 400 (the
	// zero value; what the real server is inferred to send, domain.md §1.5)
	// or 401, which adds a WWW-Authenticate header (RFC 6749 §5.2).
	InvalidClientStatus int

	// Policy is the certificate policy AddClient enforces (its validity
	// rules are checked per request instead, so an expired certificate can
	// be registered for negative tests). Nil means certgen.DefaultPolicy().
	Policy *certgen.Policy

	// Journal receives one event per token request. Nil means none. A
	// *journal.Journal is one; a shared backend hands out another
	// (store.Backend.Journal).
	Journal store.Journal

	// Replay is the jti replay cache (package store: an add that refuses a
	// duplicate atomically; shared by replicas when it is a shared
	// backend's). A cache that cannot be reached refuses the assertion
	// with 503 temporarily_unavailable, never accepts it unchecked. Nil
	// means the server's own cache in memory, bounded by MaxReplayEntries.
	Replay store.Replay

	// Revocations holds the revoke and expire knobs' changes to JWT access
	// tokens (watermarks and single tokens). Nil means the server's own
	// list in memory, bounded by MaxTokens.
	Revocations store.Revocations

	// Faults holds the faults planted in the token endpoint (target
	// fault.Token). Nil means a queue of the server's own, in memory.
	Faults store.Faults

	// State keeps the clients added, changed and removed at run time
	// (AddClient, RemoveClient, AddCertificate, RemoveCertificate, the
	// admin API) under ClientsNamespace, above the configured Clients:
	// shared by replicas when it is a shared backend's (a client added
	// through one replica gets a token from any other at once; one removed
	// is refused everywhere). Nil means the server's own, in memory.
	State store.State

	// Now is the clock. Nil means time.Now. SetClockOffset shifts it.
	Now func() time.Time
	// Rand is the source of access tokens. Nil means crypto/rand.
	Rand io.Reader
	// Logger receives diagnostics (write errors). Nil means discard.
	Logger *slog.Logger
}

// Client is a registered OAuth client, as the portal's Chaman registration
// makes one.
type Client struct {
	// ID is the client id, e.g. "self_service_chaman_123456_abcdefghij".
	ID string `json:"clientId"`
	// Quality is one of the qualities Config.QualityScopes names (for the
	// FLA: employer, provider, trainingProvider).
	Quality string `json:"quality"`
	// EnterpriseNumber is the client's enterprise number (KBO/BCE); 9 or 10
	// digits, dots allowed; stored as 10 digits. Optional.
	EnterpriseNumber string `json:"enterpriseNumber,omitempty"`
	// Certificates are the registered certificates; any of them may sign
	// (two at once during a rotation). At least one is required.
	Certificates []*x509.Certificate `json:"-"`
	// Scopes the client may ask for and gets by default. Nil means the
	// scopes of its quality.
	Scopes []string `json:"scopes,omitempty"`
	// Disabled makes every token request of the client fail with
	// unauthorized_client (a REST channel that is not active).
	Disabled bool `json:"disabled,omitempty"`
}

// withDefaults returns cfg with its zero values replaced.
func (cfg Config) withDefaults() Config {
	if cfg.TokenPath == "" {
		cfg.TokenPath = DefaultTokenPath
	}
	if cfg.Algorithms == nil {
		cfg.Algorithms = DefaultAlgorithms()
	}
	if cfg.AccessTokens == "" {
		cfg.AccessTokens = AccessTokensJWT
	}
	if cfg.Audience == "" {
		cfg.Audience = environmentAudience(cfg.Environment)
	}
	if cfg.JWKSPath == "" {
		cfg.JWKSPath = DefaultJWKSPath
	}
	qs := make(map[string][]string, len(cfg.QualityScopes))
	for q, s := range cfg.QualityScopes {
		qs[q] = slices.Clone(s)
	}
	cfg.QualityScopes = qs
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxAssertionLifetime == 0 {
		cfg.MaxAssertionLifetime = DefaultMaxAssertionLifetime
	}
	switch {
	case cfg.ClockSkew == 0:
		cfg.ClockSkew = DefaultClockSkew
	case cfg.ClockSkew < 0:
		cfg.ClockSkew = 0
	}
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = DefaultMaxFormBytes
	}
	if cfg.MaxAssertionBytes == 0 {
		cfg.MaxAssertionBytes = DefaultMaxAssertionBytes
	}
	if cfg.MaxReplayEntries == 0 {
		cfg.MaxReplayEntries = DefaultMaxReplayEntries
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	switch {
	case cfg.ExpiredTokenRetention == 0:
		cfg.ExpiredTokenRetention = DefaultExpiredTokenRetention
	case cfg.ExpiredTokenRetention < 0:
		cfg.ExpiredTokenRetention = 0
	}
	if cfg.InvalidClientStatus == 0 {
		cfg.InvalidClientStatus = http.StatusBadRequest
	}
	if cfg.Policy == nil {
		p := certgen.DefaultPolicy()
		cfg.Policy = &p
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// validate reports every problem of a defaulted config.
func (cfg Config) validate() error {
	var errs []error
	if !strings.HasPrefix(cfg.TokenPath, "/") || strings.HasPrefix(cfg.TokenPath, "/__admin/") {
		errs = append(errs, fmt.Errorf("token path %q must start with / and not with /__admin/", cfg.TokenPath))
	}
	if err := cfg.validateEnvironment(); err != nil {
		errs = append(errs, err)
	}
	if cfg.AccessTokens != AccessTokensJWT && cfg.AccessTokens != AccessTokensOpaque {
		errs = append(errs, fmt.Errorf("access tokens %q; want %s or %s", cfg.AccessTokens, AccessTokensJWT, AccessTokensOpaque))
	}
	if !strings.HasPrefix(cfg.JWKSPath, "/") || strings.HasPrefix(cfg.JWKSPath, "/__admin/") || cfg.JWKSPath == cfg.TokenPath {
		errs = append(errs, fmt.Errorf("JWKS path %q must start with /, not with /__admin/, and differ from the token path", cfg.JWKSPath))
	}
	if k := cfg.SigningKey; k != nil && (k.N == nil || k.N.BitLen() < 2048) {
		errs = append(errs, errors.New("signing key: want an RSA key of at least 2048 bits"))
	}
	if cfg.Audience != "" {
		if u, err := url.Parse(cfg.Audience); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("audience %q is not an absolute URL", cfg.Audience))
		}
	}
	if len(cfg.Algorithms) == 0 {
		errs = append(errs, errors.New("algorithms: the allow list is empty"))
	}
	for _, a := range cfg.Algorithms {
		if !slices.Contains(supportedAlgorithms, a) {
			errs = append(errs, fmt.Errorf("algorithm %q cannot be allowed; want some of %s", a, strings.Join(supportedAlgorithms, ", ")))
		}
	}
	for q, scopes := range cfg.QualityScopes {
		for _, s := range scopes {
			if !validScopeToken(s) {
				errs = append(errs, fmt.Errorf("quality %q: scope %q is not an RFC 6749 §3.3 scope-token", q, s))
			}
		}
	}
	for name, d := range map[string]time.Duration{"token TTL": cfg.TokenTTL, "max assertion lifetime": cfg.MaxAssertionLifetime} {
		if d < time.Second {
			errs = append(errs, fmt.Errorf("%s is %v; want at least 1s", name, d))
		}
	}
	for name, n := range map[string]int{"max form bytes": cfg.MaxFormBytes, "max assertion bytes": cfg.MaxAssertionBytes,
		"max replay entries": cfg.MaxReplayEntries, "max tokens": cfg.MaxTokens} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("%s is %d; want a positive number (0 for the default)", name, n))
		}
	}
	if cfg.InvalidClientStatus != http.StatusBadRequest && cfg.InvalidClientStatus != http.StatusUnauthorized {
		errs = append(errs, fmt.Errorf("invalid_client status %d; want 400 or 401", cfg.InvalidClientStatus))
	}
	return errors.Join(errs...)
}

// validScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// regCert is a registered certificate with what verification needs.
type regCert struct {
	cert *x509.Certificate
	pub  any    // *rsa.PublicKey or *ecdsa.PublicKey
	kind string // "RSA" or the curve ("P-384")
	desc string // "RSA 2048 bits" / "EC P-384"
	x5t  string
}

// client is a registered client, immutable once built.
type client struct {
	Client
	certs      []regCert
	allowed    map[string]bool
	defaults   []string
	defaultStr string
}

// buildClient checks c (certificates under policy, scopes) and prepares it.
func (cfg *Config) buildClient(c Client) (*client, error) {
	var errs []error
	if c.ID == "" || strings.ContainsFunc(c.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		errs = append(errs, fmt.Errorf("client id %q must be non-empty, without spaces or control characters", c.ID))
	}
	scopes := c.Scopes
	if scopes == nil {
		var ok bool
		if scopes, ok = cfg.QualityScopes[c.Quality]; !ok && len(cfg.QualityScopes) == 0 {
			errs = append(errs, fmt.Errorf("client %q: unknown quality %q: Config.QualityScopes names no quality (set it from the profile, or set Client.Scopes)", c.ID, c.Quality))
		} else if !ok {
			qs := make([]string, 0, len(cfg.QualityScopes))
			for q := range cfg.QualityScopes {
				qs = append(qs, q)
			}
			slices.Sort(qs)
			errs = append(errs, fmt.Errorf("client %q: unknown quality %q; want one of %s (or set Client.Scopes)", c.ID, c.Quality, strings.Join(qs, ", ")))
		}
	}
	for _, s := range scopes {
		if !validScopeToken(s) {
			errs = append(errs, fmt.Errorf("client %q: scope %q is not an RFC 6749 §3.3 scope-token", c.ID, s))
		}
	}
	if c.EnterpriseNumber != "" {
		n, err := beid.NormalizeEnterpriseNumber(c.EnterpriseNumber)
		if err != nil {
			errs = append(errs, fmt.Errorf("client %q: %w", c.ID, err))
		}
		c.EnterpriseNumber = n
	}
	if len(c.Certificates) == 0 {
		errs = append(errs, fmt.Errorf("client %q: no certificate; the portal registers at least one", c.ID))
	}
	cl := &client{Client: c, allowed: map[string]bool{}}
	for _, cert := range c.Certificates {
		rc, err := cfg.registerCert(cert)
		if err != nil {
			errs = append(errs, fmt.Errorf("client %q: %w", c.ID, err))
			continue
		}
		cl.certs = append(cl.certs, rc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cl.Certificates = slices.Clone(c.Certificates)
	cl.Scopes = slices.Clone(scopes)
	for _, s := range scopes {
		cl.allowed[s] = true
	}
	cl.defaults = cl.Scopes
	cl.defaultStr = strings.Join(cl.defaults, " ")
	return cl, nil
}

// registerCert refuses a certificate that breaks the policy, naming the rule.
func (cfg *Config) registerCert(cert *x509.Certificate) (regCert, error) {
	if cert == nil {
		return regCert{}, errors.New("nil certificate")
	}
	p := *cfg.Policy
	p.IgnoreValidity = true // checked per request, so expired certificates can be registered for negative tests
	if v := p.Check(cert, cfg.Now()); len(v) > 0 {
		return regCert{}, fmt.Errorf("certificate %q refused as the portal would: %w", cert.Subject.CommonName, &certgen.PolicyError{Violations: v})
	}
	rc := regCert{cert: cert, pub: cert.PublicKey, desc: certgen.DescribeKey(cert.PublicKey), x5t: certgen.ThumbprintsOf(cert).X5T}
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		rc.kind = "RSA"
	case *ecdsa.PublicKey:
		rc.kind = k.Curve.Params().Name
	default:
		return regCert{}, fmt.Errorf("certificate %q: unsupported key %T", cert.Subject.CommonName, cert.PublicKey)
	}
	return rc, nil
}

// keyKindFor names the key an algorithm needs: "RSA" or a curve name.
func keyKindFor(alg string) string {
	switch alg {
	case "ES256":
		return "P-256"
	case "ES384":
		return "P-384"
	case "ES512":
		return "P-521"
	}
	return "RSA"
}
