package certgen

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule ids of the portal policy. They are stable: reports, tests and the
// token endpoint's error messages name them.
const (
	RuleKeyAlgorithm    = "CERT-KEY-ALG"   // key pair is RSA or EC
	RuleRSASize         = "CERT-KEY-RSA"   // RSA modulus is 2048, 3072 or 4096 bits
	RuleCurve           = "CERT-KEY-EC"    // EC curve is P-384 or P-521
	RuleDigest          = "CERT-DIGEST"    // signature digest is SHA-256, SHA-384 or SHA-512
	RuleKeyUsage        = "CERT-KU-DS"     // key usage includes Digital Signature
	RuleNotYetValid     = "CERT-VALID-NBF" // not before <= now
	RuleExpired         = "CERT-VALID-NAF" // now <= not after
	sourcePortalPolicy  = "seed manual §4.4.1"
	sourceValidityRules = "RFC 5280 §4.1.2.5"
)

// Policy is a set of constraints on a client certificate. The zero value
// allows nothing; DefaultPolicy returns the portal's.
type Policy struct {
	RSABits        []int         // allowed RSA modulus sizes
	Curves         []string      // allowed EC curves by name ("P-384")
	Digests        []string      // allowed signature digests ("SHA-256")
	KeyUsage       x509.KeyUsage // bits that must all be present
	IgnoreValidity bool          // skip the two validity rules
}

// DefaultPolicy returns the portal's constraints of seed manual §4.4.1.
func DefaultPolicy() Policy {
	return Policy{
		RSABits:  []int{2048, 3072, 4096},
		Curves:   []string{"P-384", "P-521"},
		Digests:  []string{"SHA-256", "SHA-384", "SHA-512"},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
}

// Result is the outcome of one rule for one certificate.
type Result struct {
	Rule    string `json:"rule"`
	Title   string `json:"title"`
	Source  string `json:"source"`
	Pass    bool   `json:"pass"`
	Found   string `json:"found"`
	Allowed string `json:"allowed"`
	// Hint says how to fix a failed rule, where there is a usual way.
	Hint string `json:"hint,omitempty"`
}

// KeyUsageHint is how to add the Digital Signature key usage a plain
// `openssl req -x509` or `keytool -genkeypair` leaves out.
const KeyUsageHint = "add it: openssl req -x509 ... -addext keyUsage=digitalSignature, or keytool -genkeypair ... -ext KeyUsage=digitalSignature (flamock cert create sets it)"

// Violation is a failed rule.
type Violation = Result

func (r Result) String() string {
	verdict := "FAIL"
	if r.Pass {
		verdict = "pass"
	}
	s := fmt.Sprintf("%s %s: %s (found %s; allowed %s)", verdict, r.Rule, r.Title, r.Found, r.Allowed)
	if r.Hint != "" && !r.Pass {
		s += "; " + r.Hint
	}
	return s
}

// Evaluate runs every rule of p on cert at time now and returns one result
// per rule that applies, in a fixed order. Rules that do not apply to the
// key type (RSA size for an EC key) are left out.
func (p Policy) Evaluate(cert *x509.Certificate, now time.Time) []Result {
	var out []Result
	add := func(rule, title, source string, pass bool, found, allowed string) {
		out = append(out, Result{Rule: rule, Title: title, Source: source, Pass: pass, Found: found, Allowed: allowed})
	}
	alg, size := describeKey(cert.PublicKey)
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		add(RuleKeyAlgorithm, "key pair is RSA or EC", sourcePortalPolicy, true, alg, "RSA, EC")
		bits := k.N.BitLen()
		add(RuleRSASize, "RSA key size", sourcePortalPolicy, slices.Contains(p.RSABits, bits),
			size, joinInts(p.RSABits, " bits"))
	case *ecdsa.PublicKey:
		add(RuleKeyAlgorithm, "key pair is RSA or EC", sourcePortalPolicy, true, alg, "RSA, EC")
		add(RuleCurve, "EC curve", sourcePortalPolicy, slices.Contains(p.Curves, k.Curve.Params().Name),
			size, strings.Join(p.Curves, ", "))
	default:
		add(RuleKeyAlgorithm, "key pair is RSA or EC", sourcePortalPolicy, false, alg, "RSA, EC")
	}
	digest := SignatureDigest(cert.SignatureAlgorithm)
	add(RuleDigest, "signature digest", sourcePortalPolicy, slices.Contains(p.Digests, digest),
		fmt.Sprintf("%s (%v)", digest, cert.SignatureAlgorithm), strings.Join(p.Digests, ", "))
	add(RuleKeyUsage, "key usage", sourcePortalPolicy, cert.KeyUsage&p.KeyUsage == p.KeyUsage,
		DescribeKeyUsage(cert.KeyUsage), "any set that includes "+DescribeKeyUsage(p.KeyUsage))
	if last := &out[len(out)-1]; !last.Pass && p.KeyUsage&x509.KeyUsageDigitalSignature != 0 && cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		last.Hint = KeyUsageHint
	}
	if !p.IgnoreValidity {
		add(RuleNotYetValid, "certificate already valid", sourceValidityRules, !now.Before(cert.NotBefore),
			"not before "+cert.NotBefore.UTC().Format(time.RFC3339), "not before <= now ("+now.UTC().Format(time.RFC3339)+")")
		add(RuleExpired, "certificate not expired", sourceValidityRules, !now.After(cert.NotAfter),
			"not after "+cert.NotAfter.UTC().Format(time.RFC3339), "now ("+now.UTC().Format(time.RFC3339)+") <= not after")
	}
	return out
}

// Check returns every rule of p that cert breaks at time now; nil means the
// certificate is compliant.
func (p Policy) Check(cert *x509.Certificate, now time.Time) []Violation {
	var v []Violation
	for _, r := range p.Evaluate(cert, now) {
		if !r.Pass {
			v = append(v, r)
		}
	}
	return v
}

// PolicyError is returned when a certificate or a request breaks the policy.
type PolicyError struct {
	Violations []Violation
}

func (e *PolicyError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = fmt.Sprintf("%s: %s is %s; allowed %s", v.Rule, v.Title, v.Found, v.Allowed)
		if v.Hint != "" {
			parts[i] += "; " + v.Hint
		}
	}
	return "certgen: not accepted by the portal: " + strings.Join(parts, "; ")
}

// SignatureDigest names the digest of a signature algorithm ("SHA-256"), or
// the algorithm itself when it has no separate digest (Ed25519) or is unknown.
func SignatureDigest(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		return "SHA-256"
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return "SHA-384"
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return "SHA-512"
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return "SHA-1"
	case x509.MD5WithRSA:
		return "MD5"
	case x509.MD2WithRSA:
		return "MD2"
	}
	return a.String()
}

// describeKey returns the algorithm ("RSA", "EC", "Ed25519") and its size
// ("2048 bits", "P-384").
func describeKey(pub any) (alg, size string) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA", strconv.Itoa(k.N.BitLen()) + " bits"
	case *ecdsa.PublicKey:
		return "EC", k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519", "256 bits"
	case nil:
		return "none", "none"
	}
	return fmt.Sprintf("%T", pub), "unknown"
}

// DescribeKey names a public key the way reports print it: "RSA 2048 bits", "EC P-384".
func DescribeKey(pub any) string {
	alg, size := describeKey(pub)
	return alg + " " + size
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "Digital Signature"},
	{x509.KeyUsageContentCommitment, "Non Repudiation"},
	{x509.KeyUsageKeyEncipherment, "Key Encipherment"},
	{x509.KeyUsageDataEncipherment, "Data Encipherment"},
	{x509.KeyUsageKeyAgreement, "Key Agreement"},
	{x509.KeyUsageCertSign, "Certificate Sign"},
	{x509.KeyUsageCRLSign, "CRL Sign"},
	{x509.KeyUsageEncipherOnly, "Encipher Only"},
	{x509.KeyUsageDecipherOnly, "Decipher Only"},
}

// DescribeKeyUsage lists the bits of ku by their RFC 5280 names, or "none".
func DescribeKeyUsage(ku x509.KeyUsage) string {
	var names []string
	for _, n := range keyUsageNames {
		if ku&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func joinInts(v []int, unit string) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ") + unit
}
