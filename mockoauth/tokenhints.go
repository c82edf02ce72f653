package mockoauth

import (
	"encoding/asn1"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) algError(alg string) *Error {
	allowed := strings.Join(s.cfg.Algorithms, ", ")
	switch {
	case strings.EqualFold(alg, "none"):
		return ErrInvalidClient.Describe("client_assertion alg %q (an unsigned JWT) is never accepted; sign with your registered certificate's key: %s", alg, allowed)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return ErrInvalidClient.Describe("client_assertion alg %s is a shared-secret (HMAC) algorithm; the portal verifies with your registered certificate's public key: want %s", truncate(alg, 20), allowed)
	}
	return ErrInvalidClient.Describe("client_assertion alg %q is not allowed; want %s", truncate(alg, 40), allowed)
}

func keyKindName(kind string) string {
	if kind == "RSA" {
		return "an RSA"
	}
	return "an EC " + kind
}

// keyHints lists the key-locating header parameters present.
func keyHints(h map[string]any) string {
	var present []string
	for _, k := range []string{"kid", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"} {
		if _, ok := h[k]; ok {
			present = append(present, k)
		}
	}
	return strings.Join(present, "/")
}

// audHint explains the usual near misses: a typo-like difference, another
// environment's audience, an issuer where the token URL belongs.
func (s *Server) audHint(got, want string, r *http.Request) string {
	switch {
	case strings.TrimSuffix(got, "/") == want:
		return " (without the trailing slash)"
	case strings.EqualFold(got, want):
		return " (the case differs)"
	case strings.HasPrefix(got, "http://") && "https://"+strings.TrimPrefix(got, "http://") == want:
		return " (https, not http)"
	case strings.HasPrefix(got, "https://") && "http://"+strings.TrimPrefix(got, "https://") == want:
		return " (http, not https)"
	}
	if h := s.hostHint(got, want, r); h != "" {
		return h
	}
	if h := s.environmentHint(got, s.ownTokenURL(r)); h != "" {
		return h
	}
	if iss := strings.TrimSuffix(got, "/"); iss != "" && (iss == origin(want) || iss == s.cfg.Issuer) {
		return fmt.Sprintf(" (%q looks like an issuer; libraries such as openid-client and oauth4webapi put the issuer in aud by default — set it to the token URL)", truncate(got, 200))
	}
	switch {
	case strings.Contains(got, "/oauth/v3/") || strings.Contains(got, "oauth.socialsecurity.be") || strings.Contains(got, "oauthacc.socialsecurity.be"):
		return " (that is the legacy v3 audience; v5 wants the v5 token URL)"
	case strings.Contains(got, "/oauth/v4/"):
		return " (that is the legacy v4 audience; v5 wants the v5 token URL)"
	}
	return ""
}

// hostHint explains an audience made from the URL the client used when
// the server pins its own (no audience configured): the Host header does
// not make the audience.
func (s *Server) hostHint(got, want string, r *http.Request) string {
	if s.cfg.Audience != "" {
		return ""
	}
	if got != scheme(r)+"://"+r.Host+s.cfg.TokenPath || got == want {
		return ""
	}
	return " (that is the token URL by the request's Host header; with no audience configured, the audience is the token URL at an address the server listens on, an IP address of this machine or localhost with the port the connection reached: use one, or configure the audience (config key oauth.audience) as the URL your clients use)"
}

// lifetimeHint names the usual causes of a too long assertion lifetime:
// about an hour (a library default), about ten days (Python's
// timedelta(10), which counts days).
func lifetimeHint(life, skew time.Duration) string {
	const day = 24 * time.Hour
	near := func(d time.Duration) bool { return (life - d).Abs() <= max(skew, time.Second) }
	switch {
	case near(time.Hour):
		return "; 3600 s is the default lifetime of several libraries (Authlib's among them): set exp explicitly"
	case near(10 * day):
		return "; Python's timedelta(10) is 10 days, not 10 minutes: write timedelta(minutes=10) or less"
	}
	return ""
}

// about says a long duration in human terms, " (about 10 days)"; "" below
// two hours, where seconds read well enough.
func about(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < 2*time.Hour:
		return ""
	case d < 2*day:
		return fmt.Sprintf(" (about %d hours)", int64(math.Round(d.Hours())))
	case d < 1000*day:
		return fmt.Sprintf(" (about %d days)", int64(math.Round(d.Hours()/24)))
	}
	return fmt.Sprintf(" (about %d years)", int64(math.Round(d.Hours()/24/365.25)))
}

// derSignature reports whether sig, refused for an ES* alg, is an ASN.1
// DER ECDSA-Sig-Value (SEQUENCE of the INTEGERs r and s) rather than the
// fixed-length r||s that JWS needs, and the length JWS wants.
func derSignature(alg string, sig []byte) (int, bool) {
	var size int
	switch alg {
	case "ES256":
		size = 32
	case "ES384":
		size = 48
	case "ES512":
		size = 66
	default:
		return 0, false
	}
	if len(sig) == 2*size {
		return 0, false
	}
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) > 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return 0, false
	}
	return 2 * size, true
}

// secs formats a duration as whole seconds: "3600 s".
func secs(d time.Duration) string {
	return strconv.FormatInt(int64(math.Round(d.Seconds())), 10) + " s"
}
