package conformance

import (
	"fmt"
	"io"
	"slices"
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
	// judge decides the rule from a trace; nil for the certificate rules.
	judge judge
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

// certificateRules are decided from the registered certificate alone
// (certgen's policy), not from a trace: they have no judge.
var certificateRules = []Rule{
	{CertKeyAlg, Must, AreaCertificate, "The key pair is RSA or EC", "seed §4.4.1", "the registered certificate's public key type", false, nil},
	{CertKeyRSA, Must, AreaCertificate, "An RSA key has 2048, 3072 or 4096 bits", "seed §4.4.1", "the modulus size of the registered certificate", false, nil},
	{CertKeyEC, Must, AreaCertificate, "An EC key is on P-384 or P-521", "seed §4.4.1", "the curve of the registered certificate", false, nil},
	{CertDigest, Must, AreaCertificate, "The certificate is signed with SHA-256, SHA-384 or SHA-512", "seed §4.4.1", "the certificate's signature algorithm", false, nil},
	{CertKeyUsage, Must, AreaCertificate, "The key usage includes Digital Signature", "seed §4.4.1", "the certificate's key usage extension", false, nil},
	{CertNotYetValid, Must, AreaCertificate, "The certificate is already valid", "RFC 5280 §4.1.2.5", "not before <= now", false, nil},
	{CertExpired, Must, AreaCertificate, "The certificate has not expired", "RFC 5280 §4.1.2.5", "now <= not after", false, nil},
}

// catalogue is every rule, in report order; each area's rules live
// beside their judges (judges_*.go).
var catalogue = slices.Concat(certificateRules, tokenRequestRules, tokenUseRules, apiRules, tlsRules, contractRules)

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
