package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// flamock runs the CLI in process and returns its exit code and output.
func flamock(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestHelpGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"help", []string{"help"}},
		{"help", []string{"--help"}},
		{"help", []string{"help", "-h"}},
		{"help", []string{"help", "--help"}},
		{"cert-help", []string{"cert", "-h"}},
		{"cert-create-help", []string{"cert", "create", "-h"}},
		{"cert-create-help", []string{"help", "cert", "create"}},
		{"cert-check-help", []string{"cert", "check", "--help"}},
		{"cert-show-help", []string{"cert", "show", "-h"}},
		{"token-help", []string{"token", "-h"}},
		{"conform-help", []string{"conform", "-h"}},
		{"verify-help", []string{"verify", "-h"}},
		{"serve-help", []string{"serve", "-h"}},
		{"state-check-help", []string{"state", "check", "-h"}},
		{"profiles", []string{"profiles"}},
		{"profiles-help", []string{"profiles", "-h"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := flamock(t, tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args   []string
		stderr string // a line the user sees
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `flamock: unknown command "frobnicate"`},
		{[]string{"cert"}, "Usage: flamock cert <create | check | show>"},
		{[]string{"cert", "rotate"}, `flamock cert: unknown subcommand "rotate"`},
		{[]string{"cert", "create"}, "flamock cert: --cn is required\n  --out is required"},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--key", "dsa"}, `--key: unknown key type "dsa": want one of rsa2048, rsa3072, rsa4096, p384, p521`},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--digest", "md5"}, `--digest: unknown digest "md5": want one of sha256, sha384, sha512`},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--enterprise-number", "0880820674"}, `--enterprise-number: enterprise number "0880820674": invalid check digit: check digits are 74; want 73`},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--days", "0"}, "--days is 0; want a positive number"},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--not-before", "yesterday"}, `--not-before: "yesterday" is neither YYYY-MM-DD nor RFC 3339`},
		{[]string{"cert", "create", "--cn", "x", "--out", dir + "/x", "--key-usage", "signing"}, `--key-usage: unknown key usage "signing"`},
		{[]string{"cert", "create", "--bogus"}, "flamock cert create: flag provided but not defined: -bogus"},
		{[]string{"cert", "check"}, "flamock cert: want exactly one FILE; got 0 arguments"},
		{[]string{"cert", "show", "a", "b"}, "flamock cert: want exactly one FILE; got 2 arguments"},
		{[]string{"version", "extra"}, `flamock version: unexpected argument "extra"`},
		{[]string{"profiles", "extra"}, `flamock profiles: unexpected argument "extra"`},
		{[]string{"serve", "--profile", "nope", "--addr", "127.0.0.1:0"}, `flamock serve: unknown profile "nope"; want one of fla, generic (flamock profiles lists them)`},
		{[]string{"help", "nope"}, `flamock help: unknown command "nope"`},
		{[]string{"token"}, "flamock token: --client-id and --key are required"},
		{[]string{"token", "--lifetime", "soon"}, `flamock token: invalid value "soon" for flag -lifetime`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := flamock(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d; want 2", code)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr = %q; want it to contain %q", errOut, tc.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := flamock(t, "version")
	if code != 0 || !strings.HasPrefix(out, "flamock ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestCertCreateCheckShow(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "acme")
	code, out, errOut := flamock(t, "cert", "create", "--key", "p384", "--digest", "sha384", "--cn", "ACME payroll",
		"--org", "ACME", "--enterprise-number", "880820673", "--out", prefix, "--password", "pw")
	if code != 0 {
		t.Fatalf("create: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"wrote " + prefix + ".cer  DER certificate: the file to register on the portal",
		"wrote " + prefix + ".key  PEM PKCS#8 private key (mode 0600)",
		`wrote ` + prefix + `.p12  PKCS#12, modern (AES-256-CBC, PBKDF2, SHA-256 MAC), password "pw" (mode 0600)`,
		"subject:       SERIALNUMBER=0880820673,CN=ACME payroll,O=ACME,C=BE",
		"key:           EC P-384",
		"signature:     ECDSA-SHA384 (digest SHA-384)",
		"x5t#S256:",
		"Register " + prefix + ".cer on the portal",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("create output lacks %q\n%s", want, out)
		}
	}
	for _, file := range []string{".cer", ".pem", ".p12"} {
		code, out, errOut := flamock(t, "cert", "check", prefix+file, "--password", "pw")
		if code != 0 || strings.Count(out, "\npass ") != 6 || !strings.Contains(out, "compliant: the portal's rules are all met") {
			t.Errorf("check %s: exit %d\n%s%s", file, code, out, errOut)
		}
	}
	code, out, _ = flamock(t, "cert", "check", "--json", prefix+".cer")
	var report struct {
		Compliant bool
		Results   []struct {
			Rule string
			Pass bool
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 || !report.Compliant || len(report.Results) != 6 {
		t.Errorf("check --json: exit %d, %v, %+v", code, err, report)
	}
	code, out, _ = flamock(t, "cert", "show", prefix+".p12", "--password", "pw")
	if code != 0 || !strings.Contains(out, "format:        PKCS#12") || !strings.Contains(out, "private key:   in the file") {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	code, _, errOut = flamock(t, "cert", "show", prefix+".p12", "--password", "wrong")
	if code != 1 || errOut != "flamock cert: "+prefix+".p12: wrong PKCS#12 password\n" {
		t.Errorf("show with a wrong password: exit %d, %q", code, errOut)
	}
	code, _, errOut = flamock(t, "cert", "show", prefix+".key")
	if code != 1 || !strings.Contains(errOut, "the file holds a private key (EC P-384) but no certificate") {
		t.Errorf("show key: exit %d, %q", code, errOut)
	}
}

func TestCertCreateRefusesNonCompliant(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "weak")
	code, _, errOut := flamock(t, "cert", "create", "--key", "rsa1024", "--cn", "weak", "--out", prefix)
	want := "flamock cert: not accepted by the portal: CERT-KEY-RSA: RSA key size is 1024 bits; allowed 2048, 3072, 4096 bits\n" +
		"(to make such a certificate for a negative test on purpose, add --non-compliant-for-negative-tests)\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, errOut, want)
	}
	if _, err := os.Stat(prefix + ".cer"); !os.IsNotExist(err) {
		t.Errorf("a refused certificate was written anyway: %v", err)
	}

	code, _, errOut = flamock(t, "cert", "create", "--key", "p256", "--digest", "sha1", "--key-usage", "keyEncipherment",
		"--not-before", "2020-01-01", "--days", "30", "--cn", "bad on purpose", "--out", prefix, "--non-compliant-for-negative-tests")
	if code != 0 || !strings.Contains(errOut, "WARNING: this certificate breaks the portal's rules") {
		t.Fatalf("non-compliant create: exit %d\n%s", code, errOut)
	}
	code, out, _ := flamock(t, "cert", "check", prefix+".cer")
	for _, rule := range []string{"FAIL CERT-KEY-EC", "FAIL CERT-DIGEST", "FAIL CERT-KU-DS", "FAIL CERT-VALID-NAF", "pass CERT-VALID-NBF", "NOT COMPLIANT"} {
		if !strings.Contains(out, rule) {
			t.Errorf("check output lacks %q\n%s", rule, out)
		}
	}
	if code != 1 {
		t.Errorf("check of a non-compliant certificate: exit %d; want 1", code)
	}
}

func TestCertCheckFileErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.cer")
	os.WriteFile(garbage, []byte("not a certificate"), 0o644)
	for _, tc := range []struct{ file, msg string }{
		{garbage, "flamock cert: " + garbage + ": not a certificate or key file this tool can read: neither PEM, DER nor PKCS#12\n"},
		{filepath.Join(dir, "missing.cer"), "flamock cert: open " + filepath.Join(dir, "missing.cer") + ": no such file or directory\n"},
	} {
		code, _, errOut := flamock(t, "cert", "check", tc.file)
		if code != 1 || errOut != tc.msg {
			t.Errorf("check %s: exit %d, %q; want 1, %q", tc.file, code, errOut, tc.msg)
		}
	}
}
