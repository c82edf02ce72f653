package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"time"
)

// KeyType names a key pair to generate.
type KeyType string

// Key types the portal accepts.
const (
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	RSA4096 KeyType = "rsa4096"
	P384    KeyType = "p384"
	P521    KeyType = "p521"
)

// Key types the portal refuses; Create makes them only with
// Request.AllowNonCompliant, for negative tests.
const (
	RSA1024 KeyType = "rsa1024"
	P256    KeyType = "p256"
)

// Digest names the hash of the certificate's signature.
type Digest string

// Digests; SHA1 only with Request.AllowNonCompliant.
const (
	SHA256 Digest = "sha256"
	SHA384 Digest = "sha384"
	SHA512 Digest = "sha512"
	SHA1   Digest = "sha1"
)

// KeyTypes lists the key types the portal accepts, in the order of the seed manual.
func KeyTypes() []KeyType { return []KeyType{RSA2048, RSA3072, RSA4096, P384, P521} }

// Digests lists the digests the portal accepts.
func Digests() []Digest { return []Digest{SHA256, SHA384, SHA512} }

// ErrUnknownKeyType and ErrUnknownDigest are returned for names certgen does not know.
var (
	ErrUnknownKeyType = errors.New("certgen: unknown key type")
	ErrUnknownDigest  = errors.New("certgen: unknown digest")
)

// ParseKeyType accepts a key type name as the CLI writes it.
func ParseKeyType(s string) (KeyType, error) {
	k := KeyType(strings.ToLower(strings.ReplaceAll(s, "-", "")))
	if slices.Contains(KeyTypes(), k) || k == RSA1024 || k == P256 {
		return k, nil
	}
	return "", fmt.Errorf("%w %q: want one of rsa2048, rsa3072, rsa4096, p384, p521", ErrUnknownKeyType, s)
}

// ParseDigest accepts a digest name as the CLI writes it ("sha256", "SHA-256").
func ParseDigest(s string) (Digest, error) {
	d := Digest(strings.ToLower(strings.ReplaceAll(s, "-", "")))
	if slices.Contains(Digests(), d) || d == SHA1 {
		return d, nil
	}
	return "", fmt.Errorf("%w %q: want one of sha256, sha384, sha512", ErrUnknownDigest, s)
}

// GenerateKey makes a key pair of type k from r (nil means crypto/rand).
func GenerateKey(k KeyType, r io.Reader) (crypto.Signer, error) {
	if r == nil {
		r = rand.Reader
	}
	switch k {
	case RSA1024, RSA2048, RSA3072, RSA4096:
		bits := map[KeyType]int{RSA1024: 1024, RSA2048: 2048, RSA3072: 3072, RSA4096: 4096}[k]
		return rsa.GenerateKey(r, bits)
	case P256:
		return ecdsa.GenerateKey(elliptic.P256(), r)
	case P384:
		return ecdsa.GenerateKey(elliptic.P384(), r)
	case P521:
		return ecdsa.GenerateKey(elliptic.P521(), r)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKeyType, k)
}

// Request describes a self-signed client certificate. The zero value asks
// for the defaults: RSA 2048, SHA-256, Digital Signature, 365 days from now.
type Request struct {
	Key    KeyType // default RSA2048
	Digest Digest  // default SHA256

	CommonName       string // subject CN; required
	Organization     string // subject O; optional
	Country          string // subject C; default "BE"
	EnterpriseNumber string // subject serialNumber; optional, written as given

	// NotBefore defaults to one minute before now, so that a server whose
	// clock is slightly behind still accepts the certificate.
	NotBefore time.Time
	// NotAfter defaults to NotBefore plus Days (or 365 days).
	NotAfter time.Time
	Days     int

	// KeyUsage defaults to Digital Signature. The extended key usage is
	// always client authentication.
	KeyUsage x509.KeyUsage

	// AllowNonCompliant makes Create produce a certificate the portal would
	// refuse (RSA 1024, P-256, SHA-1, no Digital Signature, expired, not yet
	// valid) instead of failing. For negative tests only.
	AllowNonCompliant bool

	// Signer is used instead of generating a key when set; Request.Key is
	// then ignored.
	Signer crypto.Signer

	Rand io.Reader        // default crypto/rand
	Now  func() time.Time // default time.Now
}

// Bundle is a certificate with its private key.
type Bundle struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// applyDefaults fills in what the zero value of each field asks for and
// returns the time it read from r.Now, so that one instant serves the whole
// request.
func (r *Request) applyDefaults() time.Time {
	if r.Key == "" {
		r.Key = RSA2048
	}
	if r.Digest == "" {
		r.Digest = SHA256
	}
	if r.Country == "" {
		r.Country = "BE"
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Rand == nil {
		r.Rand = rand.Reader
	}
	if r.KeyUsage == 0 {
		r.KeyUsage = x509.KeyUsageDigitalSignature
	}
	now := r.Now()
	if r.NotBefore.IsZero() {
		r.NotBefore = now.Add(-time.Minute)
	}
	if r.NotAfter.IsZero() {
		days := r.Days
		if days == 0 {
			days = 365
		}
		r.NotAfter = r.NotBefore.Add(time.Duration(days) * 24 * time.Hour)
	}
	return now
}

// Create makes a self-signed certificate as r describes. Unless
// r.AllowNonCompliant is set, it refuses a request the portal's policy
// (DefaultPolicy) would refuse, with a *PolicyError naming each rule, before
// spending time on key generation.
func Create(r Request) (*Bundle, error) {
	now := r.applyDefaults()
	var errs []error
	if strings.TrimSpace(r.CommonName) == "" {
		errs = append(errs, errors.New("certgen: a common name (CN) is required"))
	}
	if r.Days < 0 {
		errs = append(errs, fmt.Errorf("certgen: days is %d; want a positive number", r.Days))
	}
	if r.Days >= 0 && !r.NotAfter.After(r.NotBefore) {
		errs = append(errs, fmt.Errorf("certgen: not after (%s) must be later than not before (%s)",
			r.NotAfter.UTC().Format(time.RFC3339), r.NotBefore.UTC().Format(time.RFC3339)))
	}
	if _, err := ParseKeyType(string(r.Key)); err != nil && r.Signer == nil {
		errs = append(errs, err)
	}
	if _, err := ParseDigest(string(r.Digest)); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// Check the request against the policy before generating a key: a
	// preview certificate carries everything the policy looks at.
	if !r.AllowNonCompliant {
		var pub any
		if r.Signer != nil {
			pub = r.Signer.Public()
		} else {
			pub = previewKey(r.Key)
		}
		preview := &x509.Certificate{
			PublicKey:          pub,
			SignatureAlgorithm: signatureAlgorithm(pub, r.Digest),
			KeyUsage:           r.KeyUsage,
			NotBefore:          r.NotBefore,
			NotAfter:           r.NotAfter,
		}
		if v := DefaultPolicy().Check(preview, now); len(v) > 0 {
			return nil, &PolicyError{Violations: v}
		}
	}

	key := r.Signer
	if key == nil {
		var err error
		if key, err = GenerateKey(r.Key, r.Rand); err != nil {
			return nil, fmt.Errorf("certgen: generate %s key: %w", r.Key, err)
		}
	}
	serial, err := randomSerial(r.Rand)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{CommonName: r.CommonName, Country: []string{r.Country}, SerialNumber: r.EnterpriseNumber}
	if r.Organization != "" {
		subject.Organization = []string{r.Organization}
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             r.NotBefore,
		NotAfter:              r.NotAfter,
		KeyUsage:              r.KeyUsage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          keyID(key.Public()),
		SignatureAlgorithm:    signatureAlgorithm(key.Public(), r.Digest),
	}
	der, err := x509.CreateCertificate(r.Rand, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("certgen: sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certgen: parse the new certificate: %w", err)
	}
	return &Bundle{Cert: cert, Key: key}, nil
}

// previewKey returns a public key of type k with the right size or curve,
// without the cost of generating a real key pair.
func previewKey(k KeyType) any {
	switch k {
	case P256:
		return &ecdsa.PublicKey{Curve: elliptic.P256()}
	case P384:
		return &ecdsa.PublicKey{Curve: elliptic.P384()}
	case P521:
		return &ecdsa.PublicKey{Curve: elliptic.P521()}
	}
	bits := map[KeyType]int{RSA1024: 1024, RSA2048: 2048, RSA3072: 3072, RSA4096: 4096}[k]
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return &rsa.PublicKey{N: n, E: 65537}
}

func signatureAlgorithm(pub any, d Digest) x509.SignatureAlgorithm {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return map[Digest]x509.SignatureAlgorithm{SHA1: x509.ECDSAWithSHA1, SHA256: x509.ECDSAWithSHA256,
			SHA384: x509.ECDSAWithSHA384, SHA512: x509.ECDSAWithSHA512}[d]
	case *rsa.PublicKey:
		return map[Digest]x509.SignatureAlgorithm{SHA1: x509.SHA1WithRSA, SHA256: x509.SHA256WithRSA,
			SHA384: x509.SHA384WithRSA, SHA512: x509.SHA512WithRSA}[d]
	}
	return x509.UnknownSignatureAlgorithm
}
