package certgen

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Encoding chooses how a PKCS#12 file is protected.
type Encoding int

const (
	// Modern is AES-256-CBC with PBKDF2-HMAC-SHA-256 and an HMAC-SHA-256 MAC.
	// Java 8u301+, OpenSSL 1.1.1+ and Windows 10 1709+ read it.
	Modern Encoding = iota
	// Legacy is 3DES with a SHA-1 key derivation and MAC, the same as
	// OpenSSL's -descert. Old Java, .NET Framework and Windows read it, and so
	// does OpenSSL 3 without its legacy provider (RC2 would need it).
	Legacy
)

func (e Encoding) String() string {
	if e == Legacy {
		return "legacy (3DES, SHA-1 MAC)"
	}
	return "modern (AES-256-CBC, PBKDF2, SHA-256 MAC)"
}

// DER returns the certificate as DER: the .cer file the portal takes.
func (b *Bundle) DER() []byte { return b.Cert.Raw }

// CertPEM returns the certificate as a PEM "CERTIFICATE" block.
func (b *Bundle) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Cert.Raw})
}

// KeyPEM returns the private key as a PEM "PRIVATE KEY" block (PKCS#8).
func (b *Bundle) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(b.Key)
	if err != nil {
		return nil, fmt.Errorf("certgen: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PKCS12 returns the key and certificate as a PKCS#12 file protected by
// password in the given encoding.
func (b *Bundle) PKCS12(password string, enc Encoding) ([]byte, error) {
	encoder := pkcs12.Modern2023
	if enc == Legacy {
		encoder = pkcs12.LegacyDES
	}
	data, err := encoder.Encode(b.Key, b.Cert, nil, password)
	if err != nil {
		return nil, fmt.Errorf("certgen: encode PKCS#12: %w", err)
	}
	return data, nil
}

// Thumbprints are the fingerprints of a certificate's DER encoding.
type Thumbprints struct {
	SHA1      string `json:"sha1"`    // hex, lower case
	SHA256    string `json:"sha256"`  // hex, lower case
	X5T       string `json:"x5t"`     // base64url SHA-1, as in a JWS x5t header (RFC 7515 §4.1.7)
	X5TSHA256 string `json:"x5tS256"` // base64url SHA-256, as in x5t#S256 (RFC 7515 §4.1.8)
}

// ThumbprintsOf computes the thumbprints of cert.
func ThumbprintsOf(cert *x509.Certificate) Thumbprints {
	s1 := sha1.Sum(cert.Raw)
	s256 := sha256.Sum256(cert.Raw)
	return Thumbprints{
		SHA1:      hex.EncodeToString(s1[:]),
		SHA256:    hex.EncodeToString(s256[:]),
		X5T:       base64.RawURLEncoding.EncodeToString(s1[:]),
		X5TSHA256: base64.RawURLEncoding.EncodeToString(s256[:]),
	}
}

// Files names the files WriteFiles wrote.
type Files struct {
	CER string `json:"cer"` // DER certificate: register this one on the portal
	PEM string `json:"pem"` // PEM certificate
	Key string `json:"key"` // PEM PKCS#8 private key, mode 0600
	P12 string `json:"p12"` // PKCS#12, mode 0600
}

// WriteFiles writes prefix.cer, prefix.pem, prefix.key and prefix.p12. The
// key and the PKCS#12 file are created with mode 0600, the certificates with
// 0644. Each file is written to a temporary name and renamed, so a failure
// never leaves half a file under the final name.
func (b *Bundle) WriteFiles(prefix, password string, enc Encoding) (Files, error) {
	keyPEM, err := b.KeyPEM()
	if err != nil {
		return Files{}, err
	}
	p12, err := b.PKCS12(password, enc)
	if err != nil {
		return Files{}, err
	}
	f := Files{CER: prefix + ".cer", PEM: prefix + ".pem", Key: prefix + ".key", P12: prefix + ".p12"}
	for _, w := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{f.CER, b.DER(), 0o644},
		{f.PEM, b.CertPEM(), 0o644},
		{f.Key, keyPEM, 0o600},
		{f.P12, p12, 0o600},
	} {
		if err := writeFileAtomic(w.name, w.data, w.mode); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func writeFileAtomic(name string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("certgen: write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("certgen: write %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("certgen: write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("certgen: write %s: %w", name, err)
	}
	return nil
}
