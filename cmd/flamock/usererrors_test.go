package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
)

// cert create never replaces a key: it may be that of a certificate
// already registered on the portal. --force replaces.
func TestCertCreateRefusesToOverwrite(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "acme")
	if code, _, errOut := flamock(t, "cert", "create", "--cn", "ACME", "--out", prefix); code != 0 {
		t.Fatal(errOut)
	}
	key, _ := os.ReadFile(prefix + ".key")
	code, _, errOut := flamock(t, "cert", "create", "--cn", "ACME", "--out", prefix)
	want := fmt.Sprintf("flamock cert: %[1]s.cer, %[1]s.pem, %[1]s.key, %[1]s.p12 already exist; cert create does not replace a key, which may belong to a certificate registered on the portal (choose another --out, or --force to replace them)\n", prefix)
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
	if again, _ := os.ReadFile(prefix + ".key"); string(again) != string(key) {
		t.Error("the key was replaced")
	}
	os.Remove(prefix + ".cer")
	os.Remove(prefix + ".pem")
	os.Remove(prefix + ".key")
	code, _, errOut = flamock(t, "cert", "create", "--cn", "ACME", "--out", prefix)
	if want := fmt.Sprintf("flamock cert: %s.p12 already exists; cert create", prefix); code != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("only the .p12 left: exit %d, %q", code, errOut)
	}
	if code, _, errOut := flamock(t, "cert", "create", "--cn", "ACME", "--out", prefix, "--force"); code != 0 {
		t.Errorf("--force: exit %d, %s", code, errOut)
	}
	if again, _ := os.ReadFile(prefix + ".key"); len(again) == 0 || string(again) == string(key) {
		t.Error("--force did not write a new key")
	}
}

// writePlainCert writes what `openssl req -x509` makes by default: no
// key usage extension.
func writePlainCert(t *testing.T) (string, *certgen.Bundle) {
	t.Helper()
	b, err := certgen.Create(certgen.Request{CommonName: "plain openssl", KeyUsage: x509.KeyUsageKeyEncipherment, AllowNonCompliant: true})
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.WriteFiles(filepath.Join(t.TempDir(), "plain"), "changeit", certgen.Modern)
	if err != nil {
		t.Fatal(err)
	}
	return files.CER, b
}

// A certificate without Digital Signature is refused with how to add it,
// in `cert check` and when serve loads it; the errors the user reads name
// no Go package.
func TestKeyUsageRefusalSaysHowToAddIt(t *testing.T) {
	cer, _ := writePlainCert(t)
	hint := "add it: openssl req -x509 ... -addext keyUsage=digitalSignature, or keytool -genkeypair ... -ext KeyUsage=digitalSignature (flamock cert create sets it)"
	code, out, _ := flamock(t, "cert", "check", cer)
	if want := "FAIL CERT-KU-DS: key usage (found Key Encipherment; allowed any set that includes Digital Signature); " + hint + "\n"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("exit %d\n%s\nwant the line\n%s", code, out, want)
	}
	cfg := filepath.Join(filepath.Dir(cer), "flamock.yaml")
	os.WriteFile(cfg, []byte("clients:\n  - id: self_service_chaman_403019_acmepayrol\n    quality: employer\n    enterpriseNumber: \"0403019261\"\n    certificates: [plain.cer]\n"), 0o644)
	code, _, errOut := flamock(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	want := `flamock serve: client "self_service_chaman_403019_acmepayrol": certificate "plain openssl" refused as the portal would: not accepted by the portal: CERT-KU-DS: key usage is Key Encipherment; allowed any set that includes Digital Signature; ` + hint + "\n"
	if code != 1 || errOut != want {
		t.Errorf("serve: exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
}

// userText drops the Go package prefixes of an error chain, wherever they
// are, and keeps the rest as it is.
func TestUserText(t *testing.T) {
	for in, want := range map[string]string{
		`mockoauth: config: mockoauth: add client: client "x": certgen: not accepted by the portal: CERT-KEY-EC`: `client "x": not accepted by the portal: CERT-KEY-EC`,
		`ssoauth: Post "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused`:                `Post "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused`,
		`mockfla: spec: open nofile.yaml: no such file or directory`:                                             `open nofile.yaml: no such file or directory`,
		`--config f.yaml: line 3: unknown key "clientz"`:                                                         `--config f.yaml: line 3: unknown key "clientz"`,
		"refused\nmockoauth: the key":                                                                            "refused\nthe key",
	} {
		if got := userText(errors.New(in)); got != want {
			t.Errorf("userText(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
