package certgen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Errors of the loaders. Each returned error wraps one of them, so callers
// can branch with errors.Is while users read the full message.
var (
	ErrFormat           = errors.New("not a certificate or key file this tool can read")
	ErrTruncated        = errors.New("file is truncated")
	ErrWrongPassword    = errors.New("wrong PKCS#12 password")
	ErrPasswordRequired = errors.New("PKCS#12 file needs a password")
	ErrEncryptedKey     = errors.New("encrypted PEM private keys are not supported")
	ErrNoCertificate    = errors.New("no certificate found")
	ErrNoKey            = errors.New("no private key found")
	ErrKeyMismatch      = errors.New("private key does not match the certificate")
	ErrUnsupportedKey   = errors.New("unsupported private key type")
)

// Formats reported in Loaded.Format.
const (
	FormatDER    = "DER"
	FormatPEM    = "PEM"
	FormatPKCS12 = "PKCS#12"
)

// MaxFileSize bounds what Load reads: certificate and key files are a few
// kilobytes; anything above this is not one.
const MaxFileSize = 1 << 20

// Loaded is what a file held.
type Loaded struct {
	Format string              // FormatDER, FormatPEM or FormatPKCS12
	Certs  []*x509.Certificate // in file order, the leaf first for PKCS#12
	Key    crypto.Signer       // nil when the file holds no key
	// Repaired says the PEM text had to be repaired (literal "\n" escapes or
	// lost line breaks, as when a key is kept in an environment variable).
	Repaired bool
}

// Leaf returns the certificate that goes with Key (or the first one when
// there is no key).
func (l *Loaded) Leaf() *x509.Certificate {
	if len(l.Certs) == 0 {
		return nil
	}
	if l.Key != nil {
		for _, c := range l.Certs {
			if keysMatch(c.PublicKey, l.Key) {
				return c
			}
		}
	}
	return l.Certs[0]
}

// Load reads a certificate and/or private key from data in any supported
// format: DER certificate (.cer/.crt/.der), base64 text of one, PEM
// (certificates and PKCS#1, PKCS#8 or SEC1 keys) or PKCS#12 (.p12/.pfx,
// decrypted with password). It never panics on any input.
func Load(data []byte, password string) (*Loaded, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("certgen: %w: the file is empty", ErrFormat)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("certgen: %w: %d bytes is more than the %d a certificate or key file can be", ErrFormat, len(data), MaxFileSize)
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return loadPEM(data)
	}
	if data[0] == 0x30 { // an ASN.1 SEQUENCE: a DER certificate or a PKCS#12 PFX
		if err := checkDERLength(data); err != nil {
			return nil, err
		}
		if cert, err := x509.ParseCertificate(data); err == nil {
			return &Loaded{Format: FormatDER, Certs: []*x509.Certificate{cert}}, nil
		}
		return loadPKCS12(data, password)
	}
	// Some tools write a .cer as bare base64 of the DER, without PEM lines.
	if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), "")); err == nil && len(der) > 0 && der[0] == 0x30 {
		if cert, err := x509.ParseCertificate(der); err == nil {
			return &Loaded{Format: FormatDER, Certs: []*x509.Certificate{cert}}, nil
		}
	}
	return nil, fmt.Errorf("certgen: %w: neither PEM, DER nor PKCS#12", ErrFormat)
}

// LoadFile reads name and calls Load; errors name the file.
func LoadFile(name, password string) (*Loaded, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("certgen: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, fmt.Errorf("certgen: read %s: %w", name, err)
	}
	l, err := Load(buf.Bytes(), password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// LoadBundle loads a certificate and its private key. keyFile may be empty
// when certFile holds both (PKCS#12, or PEM with both blocks). It fails
// when the key does not match the certificate.
func LoadBundle(certFile, keyFile, password string) (*Bundle, error) {
	l, err := LoadFile(certFile, password)
	if err != nil {
		return nil, err
	}
	if keyFile != "" {
		k, err := LoadFile(keyFile, password)
		if err != nil {
			return nil, err
		}
		if k.Key == nil {
			return nil, fmt.Errorf("%s: certgen: %w", keyFile, ErrNoKey)
		}
		l.Key = k.Key
	}
	b, err := l.Bundle()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	return b, nil
}

// Bundle returns the key and its certificate, failing when either is
// missing or they do not belong together.
func (l *Loaded) Bundle() (*Bundle, error) {
	if len(l.Certs) == 0 {
		return nil, fmt.Errorf("certgen: %w", ErrNoCertificate)
	}
	if l.Key == nil {
		return nil, fmt.Errorf("certgen: %w (give the key file too, or a .p12)", ErrNoKey)
	}
	leaf := l.Leaf()
	if !keysMatch(leaf.PublicKey, l.Key) {
		return nil, fmt.Errorf("certgen: %w: certificate has %s, key is %s", ErrKeyMismatch,
			DescribeKey(leaf.PublicKey), DescribeKey(l.Key.Public()))
	}
	return &Bundle{Cert: leaf, Key: l.Key}, nil
}

func keysMatch(pub any, key crypto.Signer) bool {
	p, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && p.Equal(key.Public())
}

func loadPEM(data []byte) (*Loaded, error) {
	l := &Loaded{Format: FormatPEM}
	if err := l.addPEM(data); err != nil {
		return nil, err
	}
	if len(l.Certs) == 0 && l.Key == nil {
		// No block decoded: try again after repairing newlines lost in
		// transport (environment variables, JSON strings, YAML).
		if fixed, ok := repairPEM(data); ok {
			if err := l.addPEM(fixed); err != nil {
				return nil, err
			}
			l.Repaired = true
		}
	}
	if len(l.Certs) == 0 && l.Key == nil {
		return nil, fmt.Errorf("certgen: %w: the PEM text has no readable CERTIFICATE or PRIVATE KEY block", ErrFormat)
	}
	return l, nil
}

func (l *Loaded) addPEM(data []byte) error {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return fmt.Errorf("certgen: %w: PEM CERTIFICATE block: %v", ErrFormat, err)
			}
			l.Certs = append(l.Certs, cert)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if _, ok := block.Headers["DEK-Info"]; ok {
				return fmt.Errorf("certgen: %w: the %s block is encrypted (Proc-Type/DEK-Info); use the .p12 file, or decrypt it with `openssl pkey -in KEY -out PLAIN.key`", ErrEncryptedKey, block.Type)
			}
			if l.Key != nil {
				return fmt.Errorf("certgen: %w: more than one private key in one file", ErrFormat)
			}
			key, err := parsePrivateKey(block)
			if err != nil {
				return err
			}
			l.Key = key
		case "ENCRYPTED PRIVATE KEY":
			return fmt.Errorf("certgen: %w: the PKCS#8 key is encrypted; use the .p12 file, or decrypt it with `openssl pkey -in KEY -out PLAIN.key`", ErrEncryptedKey)
		}
		// Other blocks (parameters, CSRs) are skipped.
	}
}

func parsePrivateKey(block *pem.Block) (crypto.Signer, error) {
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("certgen: %w: PEM %s block: %v", ErrFormat, block.Type, err)
	}
	return asSigner(key)
}

func asSigner(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("certgen: %w: %T", ErrUnsupportedKey, key)
}

func loadPKCS12(data []byte, password string) (*Loaded, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword) && password == "":
			return nil, fmt.Errorf("certgen: %w (pass it with --password)", ErrPasswordRequired)
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			return nil, fmt.Errorf("certgen: %w", ErrWrongPassword)
		}
		// A PKCS#12 trust store holds certificates only.
		if certs, terr := pkcs12.DecodeTrustStore(data, password); terr == nil && len(certs) > 0 {
			return &Loaded{Format: FormatPKCS12, Certs: certs}, nil
		}
		return nil, fmt.Errorf("certgen: %w: not a DER certificate, and as PKCS#12: %v", ErrFormat, err)
	}
	signer, err := asSigner(key)
	if err != nil {
		return nil, err
	}
	return &Loaded{Format: FormatPKCS12, Certs: append([]*x509.Certificate{cert}, chain...), Key: signer}, nil
}

// checkDERLength reports a file shorter than its outer ASN.1 header says,
// the usual sign of a truncated download or copy.
func checkDERLength(data []byte) error {
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(data, &raw)
	if err == nil {
		if len(rest) > 0 && len(bytes.TrimRight(rest, "\x00\r\n ")) > 0 {
			return fmt.Errorf("certgen: %w: %d bytes of trailing data after the DER structure", ErrFormat, len(rest))
		}
		return nil
	}
	if want, ok := derLength(data); ok && want > len(data) {
		return fmt.Errorf("certgen: %w: its DER header announces %d bytes, the file has %d", ErrTruncated, want, len(data))
	}
	return fmt.Errorf("certgen: %w: %v", ErrFormat, err)
}

// derLength returns the total length that a DER header announces.
func derLength(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > 4 || len(b) < 2+n {
		return 0, false
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l, true
}

// repairPEM rebuilds PEM text whose line breaks were lost or escaped:
// "\n" written as two characters, or everything on one line with spaces.
func repairPEM(data []byte) ([]byte, bool) {
	s := string(data)
	s = strings.ReplaceAll(s, `\r\n`, "\n")
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.Trim(s, "\"' \t\r\n")
	var out strings.Builder
	for {
		begin := strings.Index(s, "-----BEGIN ")
		if begin < 0 {
			break
		}
		hdrEnd := strings.Index(s[begin+11:], "-----")
		if hdrEnd < 0 {
			break
		}
		label := s[begin+11 : begin+11+hdrEnd]
		bodyStart := begin + 11 + hdrEnd + 5
		endMarker := "-----END " + label + "-----"
		end := strings.Index(s[bodyStart:], endMarker)
		if end < 0 {
			break
		}
		body := strings.Join(strings.Fields(s[bodyStart:bodyStart+end]), "")
		out.WriteString("-----BEGIN " + label + "-----\n")
		for len(body) > 64 {
			out.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		out.WriteString(body + "\n" + endMarker + "\n")
		s = s[bodyStart+end+len(endMarker):]
	}
	if out.Len() == 0 {
		return nil, false
	}
	return []byte(out.String()), true
}
