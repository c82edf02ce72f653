package certgen

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The interop tests check the files with independent implementations:
// OpenSSL for DER, PEM and both PKCS#12 encodings, and Java's keytool for
// the PKCS#12 file that the seed manual's Java example loads with
// KeyStore.getInstance("PKCS12"). CI installs both; elsewhere they skip
// with a message saying which tool is missing.

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not on PATH: interop check skipped (CI runs it)", name)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestInterop_OpenSSLReadsCertificates(t *testing.T) {
	openssl := needTool(t, "openssl")
	cases := []struct {
		key     KeyType
		digest  Digest
		keyLine string
		sigAlg  string
	}{
		{RSA2048, SHA256, "Public-Key: (2048 bit)", "sha256WithRSAEncryption"},
		{RSA3072, SHA384, "Public-Key: (3072 bit)", "sha384WithRSAEncryption"},
		{RSA4096, SHA512, "Public-Key: (4096 bit)", "sha512WithRSAEncryption"},
		{P384, SHA384, "NIST CURVE: P-384", "ecdsa-with-SHA384"},
		{P521, SHA512, "NIST CURVE: P-521", "ecdsa-with-SHA512"},
	}
	for _, c := range cases {
		t.Run(string(c.key), func(t *testing.T) {
			b, err := Create(Request{Key: c.key, Digest: c.digest, CommonName: "ACME", EnterpriseNumber: "0403019261", Signer: testKey(t, c.key)})
			if err != nil {
				t.Fatal(err)
			}
			f, err := b.WriteFiles(filepath.Join(t.TempDir(), "c"), "pw", Modern)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range [][]string{{"-inform", "DER", "-in", f.CER}, {"-inform", "PEM", "-in", f.PEM}} {
				out := runTool(t, openssl, append([]string{"x509", "-noout", "-text"}, in...)...)
				for _, want := range []string{c.keyLine, "Signature Algorithm: " + c.sigAlg, "Digital Signature", "TLS Web Client Authentication", "serialNumber = 0403019261", "CN = ACME", "C = BE"} {
					if !strings.Contains(out, want) {
						t.Errorf("openssl x509 %s: output lacks %q\n%s", in[1], want, out)
					}
				}
			}
			fp := runTool(t, openssl, "x509", "-noout", "-fingerprint", "-sha256", "-inform", "DER", "-in", f.CER)
			if got := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fp[strings.Index(fp, "=")+1:]), ":", "")); got != ThumbprintsOf(b.Cert).SHA256 {
				t.Errorf("openssl SHA-256 fingerprint %s; certgen says %s", got, ThumbprintsOf(b.Cert).SHA256)
			}
			// The private key is PKCS#8 and matches the certificate.
			pubFromKey := runTool(t, openssl, "pkey", "-in", f.Key, "-pubout")
			pubFromCert := runTool(t, openssl, "x509", "-in", f.PEM, "-noout", "-pubkey")
			if pubFromKey != pubFromCert {
				t.Errorf("openssl: public key of %s differs from the certificate's", f.Key)
			}
		})
	}
}

func TestInterop_OpenSSLOpensPKCS12(t *testing.T) {
	openssl := needTool(t, "openssl")
	for _, enc := range []Encoding{Modern, Legacy} {
		t.Run(enc.String(), func(t *testing.T) {
			_, f := writeTestFiles(t, RSA2048, "pass word", enc)
			out := runTool(t, openssl, "pkcs12", "-in", f.P12, "-passin", "pass:pass word", "-info", "-nodes")
			for _, want := range []string{"BEGIN CERTIFICATE", "BEGIN PRIVATE KEY"} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl pkcs12: output lacks %q\n%s", want, out)
				}
			}
			wantAlg := map[Encoding]string{Modern: "AES-256-CBC", Legacy: "pbeWithSHA1And3-KeyTripleDES-CBC"}[enc]
			if !strings.Contains(out, wantAlg) {
				t.Errorf("openssl pkcs12 -info does not show %s:\n%s", wantAlg, out)
			}
			if err := exec.Command(openssl, "pkcs12", "-in", f.P12, "-passin", "pass:wrong", "-noout").Run(); err == nil {
				t.Error("openssl opened the PKCS#12 file with a wrong password")
			}
		})
	}
}

func TestInterop_KeytoolListsPKCS12(t *testing.T) {
	keytool := needTool(t, "keytool")
	for _, k := range []KeyType{RSA2048, P384} {
		for _, enc := range []Encoding{Modern, Legacy} {
			t.Run(string(k)+"/"+enc.String(), func(t *testing.T) {
				b, f := writeTestFiles(t, k, "changeit", enc)
				out := runTool(t, keytool, "-list", "-v", "-storetype", "PKCS12", "-keystore", f.P12, "-storepass", "changeit")
				if !strings.Contains(out, "PrivateKeyEntry") {
					t.Errorf("keytool: no PrivateKeyEntry\n%s", out)
				}
				want := strings.ToUpper(ThumbprintsOf(b.Cert).SHA256)
				var colon []string
				for i := 0; i < len(want); i += 2 {
					colon = append(colon, want[i:i+2])
				}
				if !strings.Contains(out, strings.Join(colon, ":")) {
					t.Errorf("keytool: SHA-256 fingerprint %s not listed\n%s", strings.Join(colon, ":"), out)
				}
			})
		}
	}
}
