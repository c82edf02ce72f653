package certgen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Keys are expensive (RSA 4096 takes seconds under -race), so each key type
// is generated once per test binary and shared.
var (
	keysMu sync.Mutex
	keys   = map[KeyType]crypto.Signer{}
)

func testKey(t testing.TB, k KeyType) crypto.Signer {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if s, ok := keys[k]; ok {
		return s
	}
	s, err := GenerateKey(k, nil)
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", k, err)
	}
	keys[k] = s
	return s
}

var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func TestCreate_AllowedCombinations(t *testing.T) {
	wantKey := map[KeyType]string{RSA2048: "RSA 2048 bits", RSA3072: "RSA 3072 bits", RSA4096: "RSA 4096 bits", P384: "EC P-384", P521: "EC P-521"}
	wantDigest := map[Digest]string{SHA256: "SHA-256", SHA384: "SHA-384", SHA512: "SHA-512"}
	for _, k := range KeyTypes() {
		for _, d := range Digests() {
			t.Run(string(k)+"/"+string(d), func(t *testing.T) {
				b, err := Create(Request{Key: k, Digest: d, CommonName: "ACME payroll", Organization: "ACME", EnterpriseNumber: "0403019261",
					Signer: testKey(t, k), Now: clock})
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if v := DefaultPolicy().Check(b.Cert, fixedNow); len(v) != 0 {
					t.Fatalf("Check = %v; want no violation", v)
				}
				if got := DescribeKey(b.Cert.PublicKey); got != wantKey[k] {
					t.Errorf("key = %s; want %s", got, wantKey[k])
				}
				if got := SignatureDigest(b.Cert.SignatureAlgorithm); got != wantDigest[d] {
					t.Errorf("digest = %s; want %s", got, wantDigest[d])
				}
				if err := b.Cert.CheckSignature(b.Cert.SignatureAlgorithm, b.Cert.RawTBSCertificate, b.Cert.Signature); err != nil {
					t.Errorf("self-signature does not verify: %v", err)
				}
				s := b.Cert.Subject
				if s.CommonName != "ACME payroll" || s.SerialNumber != "0403019261" || !reflect.DeepEqual(s.Country, []string{"BE"}) || !reflect.DeepEqual(s.Organization, []string{"ACME"}) {
					t.Errorf("subject = %+v", s)
				}
				if b.Cert.KeyUsage != x509.KeyUsageDigitalSignature {
					t.Errorf("key usage = %s", DescribeKeyUsage(b.Cert.KeyUsage))
				}
				if !reflect.DeepEqual(b.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
					t.Errorf("ext key usage = %v", b.Cert.ExtKeyUsage)
				}
				if want := fixedNow.Add(-time.Minute); !b.Cert.NotBefore.Equal(want) {
					t.Errorf("not before = %v; want %v", b.Cert.NotBefore, want)
				}
				if want := fixedNow.Add(-time.Minute + 365*24*time.Hour); !b.Cert.NotAfter.Equal(want) {
					t.Errorf("not after = %v; want %v", b.Cert.NotAfter, want)
				}
			})
		}
	}
}

func TestCreate_RefusesNonCompliant(t *testing.T) {
	tests := []struct {
		name  string
		req   Request
		rules []string
		msg   string
	}{
		{"rsa1024", Request{Key: RSA1024}, []string{RuleRSASize},
			"certgen: not accepted by the portal: CERT-KEY-RSA: RSA key size is 1024 bits; allowed 2048, 3072, 4096 bits"},
		{"p256", Request{Key: P256}, []string{RuleCurve},
			"certgen: not accepted by the portal: CERT-KEY-EC: EC curve is P-256; allowed P-384, P-521"},
		{"sha1", Request{Digest: SHA1}, []string{RuleDigest},
			"certgen: not accepted by the portal: CERT-DIGEST: signature digest is SHA-1 (SHA1-RSA); allowed SHA-256, SHA-384, SHA-512"},
		{"no digital signature", Request{KeyUsage: x509.KeyUsageKeyEncipherment}, []string{RuleKeyUsage},
			"certgen: not accepted by the portal: CERT-KU-DS: key usage is Key Encipherment; allowed any set that includes Digital Signature; " + KeyUsageHint},
		{"expired", Request{NotBefore: fixedNow.Add(-48 * time.Hour), NotAfter: fixedNow.Add(-24 * time.Hour)}, []string{RuleExpired},
			"certgen: not accepted by the portal: CERT-VALID-NAF: certificate not expired is not after 2026-11-23T12:00:00Z; allowed now (2026-11-24T12:00:00Z) <= not after"},
		{"not yet valid", Request{NotBefore: fixedNow.Add(24 * time.Hour), Days: 30}, []string{RuleNotYetValid},
			"certgen: not accepted by the portal: CERT-VALID-NBF: certificate already valid is not before 2026-11-25T12:00:00Z; allowed not before <= now (2026-11-24T12:00:00Z)"},
		{"everything wrong", Request{Key: P256, Digest: SHA1, KeyUsage: x509.KeyUsageCertSign, NotBefore: fixedNow.Add(-48 * time.Hour), NotAfter: fixedNow.Add(-24 * time.Hour)},
			[]string{RuleCurve, RuleDigest, RuleKeyUsage, RuleExpired}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.CommonName = "x"
			tc.req.Now = clock
			_, err := Create(tc.req)
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Create = %v; want *PolicyError", err)
			}
			var rules []string
			for _, v := range pe.Violations {
				rules = append(rules, v.Rule)
			}
			if !reflect.DeepEqual(rules, tc.rules) {
				t.Errorf("rules = %v; want %v", rules, tc.rules)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("error = %q\nwant    %q", err, tc.msg)
			}
			// The same request is honoured when a non-compliant certificate
			// is asked for explicitly, and Check then finds the same rules.
			tc.req.AllowNonCompliant = true
			if tc.req.Key == "" || tc.req.Key == RSA2048 {
				tc.req.Signer = testKey(t, RSA2048)
			}
			b, err := Create(tc.req)
			if err != nil {
				t.Fatalf("Create(AllowNonCompliant) = %v", err)
			}
			var got []string
			for _, v := range DefaultPolicy().Check(b.Cert, fixedNow) {
				got = append(got, v.Rule)
			}
			if !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("Check of the non-compliant certificate = %v; want %v", got, tc.rules)
			}
		})
	}
}

func TestCreate_BadRequests(t *testing.T) {
	tests := []struct {
		req Request
		msg string
	}{
		{Request{}, "certgen: a common name (CN) is required"},
		{Request{CommonName: "x", Key: "dsa"}, `certgen: unknown key type "dsa": want one of rsa2048, rsa3072, rsa4096, p384, p521`},
		{Request{CommonName: "x", Digest: "md5"}, `certgen: unknown digest "md5": want one of sha256, sha384, sha512`},
		{Request{CommonName: "x", Days: -1}, "certgen: days is -1; want a positive number"},
		{Request{CommonName: "x", NotBefore: fixedNow, NotAfter: fixedNow.Add(-time.Hour)}, "certgen: not after (2026-11-24T11:00:00Z) must be later than not before (2026-11-24T12:00:00Z)"},
	}
	for _, tc := range tests {
		tc.req.Now = clock
		if _, err := Create(tc.req); err == nil || err.Error() != tc.msg {
			t.Errorf("Create(%+v) = %v; want %q", tc.req, err, tc.msg)
		}
	}
}

func TestPolicy_Ed25519(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	b, err := Create(Request{CommonName: "x", Signer: priv, Now: clock, AllowNonCompliant: true})
	if err != nil {
		t.Fatal(err)
	}
	v := DefaultPolicy().Check(b.Cert, fixedNow)
	if len(v) != 2 || v[0].Rule != RuleKeyAlgorithm || v[0].Found != "Ed25519" || v[1].Rule != RuleDigest {
		t.Errorf("Check = %v; want %s and %s", v, RuleKeyAlgorithm, RuleDigest)
	}
}

func TestPolicy_Evaluate(t *testing.T) {
	b, err := Create(Request{CommonName: "x", Signer: testKey(t, P384), Digest: SHA384, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range DefaultPolicy().Evaluate(b.Cert, fixedNow) {
		lines = append(lines, r.String())
	}
	want := []string{
		"pass CERT-KEY-ALG: key pair is RSA or EC (found EC; allowed RSA, EC)",
		"pass CERT-KEY-EC: EC curve (found P-384; allowed P-384, P-521)",
		"pass CERT-DIGEST: signature digest (found SHA-384 (ECDSA-SHA384); allowed SHA-256, SHA-384, SHA-512)",
		"pass CERT-KU-DS: key usage (found Digital Signature; allowed any set that includes Digital Signature)",
		"pass CERT-VALID-NBF: certificate already valid (found not before 2026-11-24T11:59:00Z; allowed not before <= now (2026-11-24T12:00:00Z))",
		"pass CERT-VALID-NAF: certificate not expired (found not after 2027-11-24T11:59:00Z; allowed now (2026-11-24T12:00:00Z) <= not after)",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("Evaluate =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	p := DefaultPolicy()
	p.IgnoreValidity = true
	if n := len(p.Evaluate(b.Cert, fixedNow.Add(10*365*24*time.Hour))); n != 4 {
		t.Errorf("IgnoreValidity: %d rules; want 4", n)
	}
}

func TestThumbprints(t *testing.T) {
	b, err := Create(Request{CommonName: "x", Signer: testKey(t, RSA2048), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	tp := ThumbprintsOf(b.Cert)
	if len(tp.SHA1) != 40 || len(tp.SHA256) != 64 || len(tp.X5T) != 27 || len(tp.X5TSHA256) != 43 {
		t.Fatalf("thumbprints have wrong lengths: %+v", tp)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tp.X5TSHA256)
	if got := strings.ToLower(strings.TrimSpace(hexString(raw))); got != tp.SHA256 {
		t.Errorf("x5t#S256 %s decodes to %s; want %s", tp.X5TSHA256, got, tp.SHA256)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// writeTestFiles writes a bundle of key type k under a temporary prefix.
func writeTestFiles(t *testing.T, k KeyType, password string, enc Encoding) (*Bundle, Files) {
	t.Helper()
	b, err := Create(Request{CommonName: "ACME", Signer: testKey(t, k), Digest: SHA256, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.WriteFiles(filepath.Join(t.TempDir(), "client"), password, enc)
	if err != nil {
		t.Fatal(err)
	}
	return b, files
}

func TestWriteAndLoad_RoundTrip(t *testing.T) {
	for _, k := range []KeyType{RSA2048, P384, P521} {
		for _, enc := range []Encoding{Modern, Legacy} {
			t.Run(string(k)+"/"+enc.String(), func(t *testing.T) {
				b, f := writeTestFiles(t, k, "s3cret", enc)
				for name, mode := range map[string]os.FileMode{f.CER: 0o644, f.PEM: 0o644, f.Key: 0o600, f.P12: 0o600} {
					st, err := os.Stat(name)
					if err != nil {
						t.Fatal(err)
					}
					if st.Mode().Perm() != mode {
						t.Errorf("%s mode = %v; want %v", filepath.Base(name), st.Mode().Perm(), mode)
					}
				}
				for _, c := range []struct {
					file, format string
					hasKey       bool
				}{{f.CER, FormatDER, false}, {f.PEM, FormatPEM, false}, {f.Key, FormatPEM, true}, {f.P12, FormatPKCS12, true}} {
					l, err := LoadFile(c.file, "s3cret")
					if err != nil {
						t.Fatalf("LoadFile(%s): %v", filepath.Base(c.file), err)
					}
					if l.Format != c.format {
						t.Errorf("%s: format %s; want %s", filepath.Base(c.file), l.Format, c.format)
					}
					if (l.Key != nil) != c.hasKey {
						t.Errorf("%s: key present = %v; want %v", filepath.Base(c.file), l.Key != nil, c.hasKey)
					}
					if c.file != f.Key && !l.Leaf().Equal(b.Cert) {
						t.Errorf("%s: certificate differs", filepath.Base(c.file))
					}
				}
				for _, pair := range [][2]string{{f.PEM, f.Key}, {f.CER, f.Key}, {f.P12, ""}} {
					got, err := LoadBundle(pair[0], pair[1], "s3cret")
					if err != nil {
						t.Fatalf("LoadBundle(%s, %s): %v", filepath.Base(pair[0]), filepath.Base(pair[1]), err)
					}
					if !got.Cert.Equal(b.Cert) || !keysMatch(got.Cert.PublicKey, got.Key) {
						t.Errorf("LoadBundle(%s) returned another certificate or key", filepath.Base(pair[0]))
					}
				}
			})
		}
	}
}

func TestLoad_OtherKeyEncodings(t *testing.T) {
	rsaKey := testKey(t, RSA2048)
	ecKey := testKey(t, P384)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))})
	sec1DER, err := x509.MarshalECPrivateKey(ecKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER})
	for name, data := range map[string][]byte{"PKCS#1": pkcs1, "SEC1": sec1} {
		l, err := Load(data, "")
		if err != nil || l.Key == nil {
			t.Errorf("Load(%s) = %v, %v", name, l, err)
		}
	}
}

func TestLoad_RepairsMangledPEM(t *testing.T) {
	b, err := Create(Request{CommonName: "x", Signer: testKey(t, RSA2048), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := b.KeyPEM()
	both := append(b.CertPEM(), keyPEM...)
	escaped := strings.ReplaceAll(string(both), "\n", `\n`)              // as in a JSON string or .env file
	oneLine := strings.Join(strings.Fields(string(both)), " ")           // newlines lost entirely
	quoted := `"` + strings.ReplaceAll(string(keyPEM), "\n", `\n`) + `"` // quoted, key only
	for name, in := range map[string]string{"escaped": escaped, "one line": oneLine} {
		l, err := Load([]byte(in), "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !l.Repaired || len(l.Certs) != 1 || l.Key == nil {
			t.Errorf("%s: repaired=%v certs=%d key=%v", name, l.Repaired, len(l.Certs), l.Key != nil)
		}
		if _, err := l.Bundle(); err != nil {
			t.Errorf("%s: Bundle: %v", name, err)
		}
	}
	if l, err := Load([]byte(quoted), ""); err != nil || l.Key == nil {
		t.Errorf("quoted key: %v", err)
	}
	// Bare base64 of the DER certificate, as some tools save a .cer.
	b64 := base64.StdEncoding.EncodeToString(b.DER())
	if l, err := Load([]byte(b64+"\n"), ""); err != nil || l.Format != FormatDER {
		t.Errorf("bare base64 certificate: %v", err)
	}
}

func TestLoad_Errors(t *testing.T) {
	b, f := writeTestFiles(t, RSA2048, "s3cret", Modern)
	p12, _ := os.ReadFile(f.P12)
	other, _ := Create(Request{CommonName: "other", Signer: testKey(t, P384), Now: clock})
	otherKey, _ := other.KeyPEM()
	dir := t.TempDir()
	otherKeyFile := filepath.Join(dir, "other.key")
	if err := os.WriteFile(otherKeyFile, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		password string
		want     error
		msg      string
	}{
		{"empty", nil, "", ErrFormat, "certgen: not a certificate or key file this tool can read: the file is empty"},
		{"garbage", []byte("hello, world"), "", ErrFormat, "certgen: not a certificate or key file this tool can read: neither PEM, DER nor PKCS#12"},
		{"truncated cer", b.DER()[:len(b.DER())/2], "", ErrTruncated, ""},
		{"truncated p12", p12[:len(p12)-100], "s3cret", ErrTruncated, ""},
		{"wrong password", p12, "nope", ErrWrongPassword, "certgen: wrong PKCS#12 password"},
		{"no password", p12, "", ErrPasswordRequired, "certgen: PKCS#12 file needs a password (pass it with --password)"},
		{"trailing data", append(append([]byte{}, b.DER()...), "junk"...), "", ErrFormat, "certgen: not a certificate or key file this tool can read: 4 bytes of trailing data after the DER structure"},
		{"encrypted pkcs8", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), "", ErrEncryptedKey, ""},
		{"encrypted legacy pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "", ErrEncryptedKey, ""},
		{"broken pem cert", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "", ErrFormat, ""},
		{"pem without blocks", []byte("-----BEGIN nothing"), "", ErrFormat, "certgen: not a certificate or key file this tool can read: the PEM text has no readable CERTIFICATE or PRIVATE KEY block"},
		{"too big", bytes.Repeat([]byte{'a'}, MaxFileSize+1), "", ErrFormat, "certgen: not a certificate or key file this tool can read: 1048577 bytes is more than the 1048576 a certificate or key file can be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.data, tc.password)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Load = %v; want %v", err, tc.want)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("error = %q\nwant    %q", err, tc.msg)
			}
		})
	}
	_, err := LoadBundle(f.PEM, otherKeyFile, "")
	if !errors.Is(err, ErrKeyMismatch) || !strings.HasSuffix(err.Error(), "private key does not match the certificate: certificate has RSA 2048 bits, key is EC P-384") {
		t.Errorf("LoadBundle(mismatch) = %v", err)
	}
	if _, err := LoadBundle(f.PEM, "", ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("LoadBundle(no key) = %v; want ErrNoKey", err)
	}
	if _, err := LoadBundle(f.PEM, f.CER, ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("LoadBundle(cert as key) = %v; want ErrNoKey", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.cer"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	b, err := Create(Request{CommonName: "fuzz", Key: P384})
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, _ := b.KeyPEM()
	p12, _ := b.PKCS12("pw", Modern)
	legacy, _ := b.PKCS12("pw", Legacy)
	for _, seed := range [][]byte{b.DER(), b.CertPEM(), keyPEM, p12, legacy, []byte(strings.ReplaceAll(string(keyPEM), "\n", `\n`)),
		[]byte("-----BEGIN CERTIFICATE-----"), {0x30, 0x82, 0xff, 0xff}, {0x30}, []byte("MIIB")} {
		f.Add(seed, "pw")
	}
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		l, err := Load(data, password)
		if err != nil {
			if l != nil {
				t.Fatalf("Load returned both a result and %v", err)
			}
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrWrongPassword) &&
				!errors.Is(err, ErrPasswordRequired) && !errors.Is(err, ErrEncryptedKey) && !errors.Is(err, ErrUnsupportedKey) {
				t.Fatalf("Load: error of no known kind: %v", err)
			}
			return
		}
		if len(l.Certs) == 0 && l.Key == nil {
			t.Fatal("Load succeeded with neither a certificate nor a key")
		}
		if len(l.Certs) > 0 {
			_ = DefaultPolicy().Evaluate(l.Leaf(), time.Now())
		}
		if _, err := l.Bundle(); err != nil && !errors.Is(err, ErrNoKey) && !errors.Is(err, ErrNoCertificate) && !errors.Is(err, ErrKeyMismatch) {
			t.Fatalf("Bundle: %v", err)
		}
	})
}

func BenchmarkGenerateKey(b *testing.B) {
	for _, k := range KeyTypes() {
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := GenerateKey(k, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	key, _ := GenerateKey(P384, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Create(Request{CommonName: "bench", Signer: key}); err != nil {
			b.Fatal(err)
		}
	}
}
