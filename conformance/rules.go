package conformance

import (
	"fmt"
	"io"
	"strings"

	"github.com/flamock/flamock/certgen"
)

// Level says how binding a rule is.
type Level string

// Levels, as in RFC 2119.
const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
)

// Areas group the rules in reports.
const (
	AreaCertificate = "certificate"
	AreaToken       = "token request"
	AreaTokenUse    = "token use"
	AreaAPI         = "API"
	AreaTLS         = "TLS"
	AreaContract    = "adapter contract"
)

// Rule is one entry of the catalogue. IDs are stable: reports, --skip
// lists and CI configurations name them.
type Rule struct {
	ID     string `json:"id"`
	Level  Level  `json:"level"`
	Area   string `json:"area"`
	Title  string `json:"title"`
	Source string `json:"source"` // seed section, RFC section, Belgif rule
	Check  string `json:"check"`  // what the suite looks at to decide
	// Passive says the rule can be judged from a recorded journal alone
	// (flamock verify); the others need the scenarios (flamock conform).
	Passive bool `json:"passive"`
}

// Rule ids. The certificate rules reuse certgen's ids.
const (
	CertKeyAlg      = certgen.RuleKeyAlgorithm
	CertKeyRSA      = certgen.RuleRSASize
	CertKeyEC       = certgen.RuleCurve
	CertDigest      = certgen.RuleDigest
	CertKeyUsage    = certgen.RuleKeyUsage
	CertNotYetValid = certgen.RuleNotYetValid
	CertExpired     = certgen.RuleExpired

	OAuthForm      = "OAUTH-FORM-01"
	OAuthGrant     = "OAUTH-GRANT-01"
	OAuthAssertion = "OAUTH-ATYPE-01"
	OAuthSecret    = "OAUTH-SECRET-01"
	OAuthAlg       = "OAUTH-ALG-01"
	OAuthSignature = "OAUTH-SIG-01"
	OAuthIssuer    = "OAUTH-ISS-01"
	OAuthAudience  = "OAUTH-AUD-01"
	OAuthExpiry    = "OAUTH-EXP-01"
	OAuthIssuedAt  = "OAUTH-IAT-01"
	OAuthJTI       = "OAUTH-JTI-01"
	OAuthScope     = "OAUTH-SCOPE-01"

	TokenHeader = "TOKEN-HEADER-01"
	TokenReuse  = "TOKEN-REUSE-01"
	TokenRenew  = "TOKEN-RENEW-01"
	TokenRetry  = "TOKEN-RETRY-01"

	APISchema     = "API-SCHEMA-01"
	APIIdentifier = "API-ID-01"
	APITenant     = "API-TENANT-01"
	APINoRetry    = "API-NORETRY-01"
	APIRetryAfter = "API-RETRYAFTER-01"
	APIBounded    = "API-BOUNDED-01"
	APIBackoff    = "API-BACKOFF-01"
	APIDetail     = "API-DETAIL-01"

	TLSVerify = "TLS-VERIFY-01"

	RunExit   = "RUN-EXIT-01"
	RunResult = "RUN-RESULT-01"
)

// Limits the rules use.
const (
	// MaxAssertionLifetime bounds exp − iat (seed §6.1: "l'expiration ne
	// peut dépasser 10 minutes").
	MaxAssertionLifetime = 600 // seconds
	// ClockSkew is the leeway for iat in the future.
	ClockSkew = 60 // seconds
	// MaxRetries bounds the retries of one operation after 429, 503 or 500.
	MaxRetries = 3
	// MinBackoffMillis is the least wait before retrying a 500.
	MinBackoffMillis = 100
)

var catalogue = []Rule{
	{CertKeyAlg, Must, AreaCertificate, "The key pair is RSA or EC", "seed §4.4.1", "the registered certificate's public key type", false},
	{CertKeyRSA, Must, AreaCertificate, "An RSA key has 2048, 3072 or 4096 bits", "seed §4.4.1", "the modulus size of the registered certificate", false},
	{CertKeyEC, Must, AreaCertificate, "An EC key is on P-384 or P-521", "seed §4.4.1", "the curve of the registered certificate", false},
	{CertDigest, Must, AreaCertificate, "The certificate is signed with SHA-256, SHA-384 or SHA-512", "seed §4.4.1", "the certificate's signature algorithm", false},
	{CertKeyUsage, Must, AreaCertificate, "The key usage includes Digital Signature", "seed §4.4.1", "the certificate's key usage extension", false},
	{CertNotYetValid, Must, AreaCertificate, "The certificate is already valid", "RFC 5280 §4.1.2.5", "not before <= now", false},
	{CertExpired, Must, AreaCertificate, "The certificate has not expired", "RFC 5280 §4.1.2.5", "now <= not after", false},

	{OAuthForm, Must, AreaToken, "The token request is a form POST to the token URL", "RFC 6749 §3.2, §4.4.2; rest-documentation developer guide",
		"method POST, Content-Type application/x-www-form-urlencoded, path of the token URL, no OAuth parameter in the URL query", true},
	{OAuthGrant, Must, AreaToken, "grant_type is client_credentials", "RFC 6749 §4.4.2", "the grant_type form field", true},
	{OAuthAssertion, Must, AreaToken, "client_assertion_type is the JWT bearer URN", "RFC 7523 §2.2; RFC 7521 §4.2",
		"client_assertion_type = urn:ietf:params:oauth:client-assertion-type:jwt-bearer", true},
	{OAuthSecret, Must, AreaToken, "No client secret is sent", "rest-documentation: the Client Secret method (RFC 6749 §2.3.1) is not supported",
		"no client_secret form field, no HTTP Basic or other Authorization header on the token request", true},
	{OAuthAlg, Must, AreaToken, "alg is an RSA or EC algorithm matching the key", "RFC 7518 §3.1; RFC 8725 §3.1; seed §6.1 (RS256)",
		"JWS header alg is RS*, PS* or ES* of the key's type; never none or HS*", true},
	{OAuthSignature, Must, AreaToken, "The assertion is signed by the registered certificate's key", "RFC 7523 §3 item 9; seed §6.1",
		"the token endpoint verified the signature with a registered certificate", true},
	{OAuthIssuer, Must, AreaToken, "iss = sub = client id", "RFC 7523 §3 items 1-2; seed §6.1", "the assertion's iss and sub claims", true},
	{OAuthAudience, Must, AreaToken, "aud is exactly the token URL", "RFC 7523 §3 item 3; seed §6.1",
		"the assertion's aud claim: the token URL, no trailing slash, no other value", true},
	{OAuthExpiry, Must, AreaToken, "exp is present and at most 10 minutes after iat", "seed §6.1; RFC 7523 §3 item 4", "exp − iat (or exp − time of the request) <= 600 s", true},
	{OAuthIssuedAt, Must, AreaToken, "iat is present and not in the future", "RFC 7519 §4.1.6; RFC 7523 §3 item 6", "iat <= time of the request + 60 s", true},
	{OAuthJTI, Must, AreaToken, "Every assertion has a fresh jti", "RFC 7523 §3 item 7", "jti present and never repeated across the run", true},
	{OAuthScope, Must, AreaToken, "The scope, if sent, is the one of the client's quality", "seed §6.1",
		"the scope form field lists only the scopes registered for the client's quality", true},

	{TokenHeader, Must, AreaTokenUse, "The access token goes in the Authorization header, never in the URL", "RFC 6750 §2.1, §5.3; rest-documentation developer guide",
		"every API call carries Authorization: Bearer, and no access_token query parameter", true},
	{TokenReuse, Should, AreaTokenUse, "A token is reused while it is valid", "RFC 6749 §5.1 (expires_in); domain.md §6",
		"no new token is requested while the last one is neither expired nor refused", true},
	{TokenRenew, Must, AreaTokenUse, "After a 401 the client gets a new token and retries", "RFC 6750 §3.1; Belgif expiredAccessToken/invalidAccessToken",
		"a 401 is followed by a token request and one more call with the new token", true},
	{TokenRetry, Must, AreaTokenUse, "After a 401, one renewal and one retry, then stop", "RFC 6750 §3.1",
		"at most one renewal and one retry per operation that got a 401", true},

	{APISchema, Must, AreaAPI, "Every request is valid against the spec", "the OpenAPI document; Belgif badRequest",
		"the mock's route and schema layers accept each call the client composed", true},
	{APIIdentifier, Must, AreaAPI, "SSINs and enterprise numbers are valid", "Belgif person and organization identifiers (mod 97)",
		"the mock's identifier layer accepts each call the client composed", true},
	{APITenant, Must, AreaAPI, "Only employers the client may act for", "seed §2.2 (mandate); Belgif missingPermission",
		"no call is refused with missingPermission when the client was given only permitted employers", true},
	{APINoRetry, Must, AreaAPI, "No retry of a 400, 403 or 404", "RFC 9110 §15.5", "the same call is not repeated after a 400, 403 or 404", true},
	{APIRetryAfter, Must, AreaAPI, "429 and 503 are honoured with Retry-After", "RFC 9110 §10.2.3; RFC 6585 §4; Belgif tooManyRequests",
		"a retry comes no sooner than Retry-After seconds after the 429 or 503", true},
	{APIBounded, Must, AreaAPI, "Retries of 429 and 503 are bounded", "RFC 9110 §10.2.3", "at most 3 retries of one call", true},
	{APIBackoff, Must, AreaAPI, "A 500 is retried a bounded number of times, with back-off", "RFC 9110 §15.6.1",
		"at most 3 retries of one call, each at least 100 ms later, the waits not shrinking", true},
	{APIDetail, Must, AreaAPI, "The problem's detail is surfaced to the caller", "RFC 9457 §3.1.4; Belgif problems",
		"the client's result of an operation that got a problem holds its detail and the detail of each issue", false},

	{TLSVerify, Must, AreaTLS, "The client refuses a server certificate it cannot verify", "RFC 6749 §10.9; RFC 9110 §4.3.4",
		"against servers with an untrusted certificate, no token request or API call completes", false},

	{RunExit, Must, AreaContract, "The adapter runs within the contract", "CONTRACT.md",
		"exit status 0 within the time limit, only JSON result lines on stdout, one per operation", false},
	{RunResult, Must, AreaContract, "Each result reports what the server answered", "CONTRACT.md",
		"the status of each result is the status of the server's last answer to that operation; an error when there was none", false},
}

// Rules returns the catalogue, in report order. The slice is a copy.
func Rules() []Rule { return append([]Rule(nil), catalogue...) }

// RuleByID finds a rule.
func RuleByID(id string) (Rule, bool) {
	for _, r := range catalogue {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// WriteRulesMarkdown writes the catalogue as a Markdown table.
func WriteRulesMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| id | level | area | rule | source | what is checked | verify |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range catalogue {
		passive := ""
		if r.Passive {
			passive = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.ID, r.Level, r.Area,
			mdCell(r.Title), mdCell(r.Source), mdCell(r.Check), passive)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
