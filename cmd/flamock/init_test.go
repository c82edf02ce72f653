package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
)

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ACME Payroll")
	code, out, errOut := flamock(t, "init", dir, "--key", "rsa3072", "--quality", "provider", "--enterprise-number", "314595348")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "client self_service_chaman_314595_acmepayrol, provider, enterprise 0314595348") {
		t.Errorf("init output:\n%s", out)
	}
	cfg, err := loadConfig(filepath.Join(dir, "flamock.yaml"), chooseProfile("", false))
	if err != nil {
		t.Fatalf("the config init wrote: %v", err)
	}
	if len(cfg.Clients) != 1 || cfg.Clients[0].ID != "self_service_chaman_314595_acmepayrol" || cfg.Clients[0].Quality != "provider" ||
		cfg.Clients[0].EnterpriseNumber != "0314595348" {
		t.Errorf("config: %+v", cfg)
	}
	if got := mandators(t, cfg, "0314595348"); strings.Join(got, ",") != "0880820673" {
		t.Errorf("the provider acts for %v; want the mandate init wrote, from 0880820673", got)
	}
	l, err := certgen.LoadFile(cfg.path(cfg.Clients[0].Certificates[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	if v := certgen.DefaultPolicy().Check(l.Leaf(), l.Leaf().NotBefore.Add(2*60e9)); len(v) > 0 {
		t.Errorf("the certificate breaks the portal's rules: %v", v)
	}
	if k, err := certgen.LoadFile(filepath.Join(dir, "certs", "client.p12"), "changeit"); err != nil || k.Key == nil {
		t.Errorf("client.p12: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "adapter", "flamock-client.sh"))
	if err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("adapter: %v %v", st, err)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	for _, want := range []string{"flamock serve --config " + dir + "/flamock.yaml", "flamock token --token-url",
		`flamock conform --client "bash ` + dir + `/adapter/flamock-client.sh"`, "/employers/880820673/"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}

	// Not twice into the same folder.
	code, _, errOut = flamock(t, "init", dir)
	if code != 1 || !strings.Contains(errOut, "is not empty; init writes into a new or empty folder") {
		t.Errorf("init into a full folder: exit %d, %q", code, errOut)
	}
}

func TestInitAdapterFallback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v")
	code, _, errOut := flamock(t, "init", dir, "--adapter", "go")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "flamock init: no go adapter template ships with this flamock (templates: bash") ||
		!strings.Contains(errOut, "writing the bash one") {
		t.Errorf("stderr = %q", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "adapter", "flamock-client.sh")); err != nil {
		t.Error(err)
	}
}

func TestInitUsageErrors(t *testing.T) {
	d := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init"}, "flamock init: want one folder, e.g. flamock init acme (got 0 arguments)"},
		{[]string{"init", filepath.Join(d, "a"), "--adapter", "cobol"}, `flamock init: --adapter "cobol": want one of bash, python, node, java, go`},
		{[]string{"init", filepath.Join(d, "a"), "--quality", "boss"}, `flamock init: --quality "boss": want employer, provider or trainingProvider`},
		{[]string{"init", filepath.Join(d, "a"), "--enterprise-number", "0403019262"}, "flamock init: --enterprise-number: "},
		{[]string{"init", filepath.Join(d, "a"), "--client-id", "acme"}, `flamock init: --client-id "acme": want self_service_chaman_`},
		{[]string{"init", filepath.Join(d, "a"), "--key", "p256"}, `flamock init: --key "p256": want one of rsa2048, rsa3072, rsa4096, p384, p521 (the portal accepts these;`},
		{[]string{"init", filepath.Join(d, "a"), "--key", "p384"}, "flamock init: --key p384: the bash adapter signs RS256 only; choose an RSA key, or another --adapter"},
	} {
		code, _, errOut := flamock(t, tc.args...)
		if code != 2 || !strings.HasPrefix(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(d, "a")); !os.IsNotExist(err) {
		t.Errorf("a usage error wrote the folder: %v", err)
	}
}
