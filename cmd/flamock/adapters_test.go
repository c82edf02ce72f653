package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
)

// conformWith runs flamock conform with an adapter command and wants every
// MUST rule passed, and no rule skipped but those that do not apply.
func conformWith(t *testing.T, command string, extra ...string) {
	t.Helper()
	args := append([]string{"conform", "--reference", "--client", command, "--time-limit", "90s", "--parallel", "3"}, extra...)
	code, out, errOut := flamock(t, args...)
	if code != 0 || !strings.Contains(out, "every MUST rule passed") {
		t.Fatalf("flamock conform --client %q: exit %d\n%s\n%s", command, code, out, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "SKIP ") && !strings.Contains(line, "not applicable") {
			t.Errorf("a rule was not exercised: %s", line)
		}
	}
}

// The Python template (requests + PyJWT, Debian's packages) passes every rule.
func TestAdapterTemplate_Python(t *testing.T) {
	t.Parallel()
	python := "/usr/bin/python3" // Debian's, with python3-requests and python3-jwt
	if _, err := os.Stat(python); err != nil {
		python = needTool(t, "python3")
	}
	if out, err := exec.Command(python, "-c", "import requests, jwt, cryptography").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s cannot import requests, jwt and cryptography: %s", python, out)
		}
		t.Skipf("%s lacks requests/PyJWT (Debian: python3-requests python3-jwt python3-cryptography): %s", python, out)
	}
	conformWith(t, python+" ../../conformance/adapters/python/flamock_client.py")
}

// The Node template (fetch from undici + jose, from npm) passes every rule;
// its packages are installed into a temporary copy, never into the source.
func TestAdapterTemplate_Node(t *testing.T) {
	t.Parallel()
	node := needTool(t, "node")
	npm := needTool(t, "npm")
	dir := t.TempDir()
	for _, f := range []string{"package.json", "flamock-client.mjs"} {
		b, err := os.ReadFile(filepath.Join("../../conformance/adapters/node", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.Command(npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
		t.Skipf("npm install failed (no registry?): %v\n%s", err, out)
	}
	conformWith(t, node+" "+filepath.Join(dir, "flamock-client.mjs"))
}

// The Java template (JDK only, single-file source launch) passes every
// rule, with an RSA key and with an EC P-384 key (its JWS turns the DER
// ECDSA signature into r||s by hand).
func TestAdapterTemplate_Java(t *testing.T) {
	t.Parallel()
	java := needTool(t, "java")
	needTool(t, "javac") // the source launcher compiles (Debian: openjdk-17-jdk-headless)
	src, err := filepath.Abs("../../conformance/adapters/java/FlamockClient.java")
	if err != nil {
		t.Fatal(err)
	}
	command := java + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC " + src
	conformWith(t, command)

	b, err := certgen.Create(certgen.Request{CommonName: "java adapter EC", Organization: "flamock", Key: certgen.P384})
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.WriteFiles(filepath.Join(t.TempDir(), "ec"), "changeit", certgen.Modern)
	if err != nil {
		t.Fatal(err)
	}
	conformWith(t, command, "--cert", files.P12, "--password", "changeit")
}
