package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConform_BashAdapterPasses(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: the bash adapter needs it", tool)
		}
	}
	dir := t.TempDir()
	junit, jsonFile := filepath.Join(dir, "conform.xml"), filepath.Join(dir, "conform.json")
	code, out, errOut := flamock(t, "conform", "--client", "bash ../../conformance/adapters/bash/flamock-client.sh",
		"--junit-report", junit, "--json-report", jsonFile)
	if code != 0 || !strings.Contains(out, "every MUST rule passed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if b, err := os.ReadFile(junit); err != nil || xml.Unmarshal(b, &suites) != nil {
		t.Errorf("JUnit report %s: %v", junit, err)
	}
	var rep map[string]any
	if b, err := os.ReadFile(jsonFile); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Errorf("JSON report %s: %v", jsonFile, err)
	}
}

// A client that does not keep the contract fails the run, and the report
// says why; the suite neither hangs nor panics.
func TestConform_BrokenClient(t *testing.T) {
	code, out, _ := flamock(t, "conform", "--client", "echo not json; exit 3", "--scenario", "happy-path", "--level", "must")
	if code != 1 {
		t.Errorf("exit %d; want 1", code)
	}
	for _, want := range []string{"FAIL  RUN-EXIT-01", "NOT CONFORMANT"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
}

func TestConformVerify_UsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"conform"}, `--client "CMD" is required`},
		{[]string{"conform", "--client", "x", "--level", "may"}, `--level "may": want must or should`},
		{[]string{"conform", "--client", "x", "--skip", "NOPE-01"}, `--skip: unknown rule "NOPE-01"`},
		{[]string{"conform", "--client", "x", "--scenario", "lunch"}, `--scenario: unknown scenario "lunch"`},
		{[]string{"conform", "--client", "x", "--key", "k.p12"}, "--key needs --cert"},
		{[]string{"verify"}, "want exactly one JOURNAL file (or - for stdin)"},
	} {
		code, _, errOut := flamock(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}
}

// flamock serve --journal records traffic that flamock verify judges.
func TestVerify_JournalFromServe(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	p := startServe(t, "--config", cfg, "--journal", journalFile)
	client := &http.Client{Timeout: 10 * time.Second}
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	url := trainingsURL(p.base, "403019261", "65111899801", 2023)
	if r := call(t, client, "PUT", url, token, trainingsBody(t)); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	if r := call(t, client, "GET", url, token, ""); r.status != 200 {
		t.Fatalf("GET: %d %s", r.status, r.raw)
	}
	p.kill()
	code, out, errOut := flamock(t, "verify", journalFile, "--client-id", testEmployerID, "--token-url", p.base+"/REST/oauth/v5/token")
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"PASS  OAUTH-AUD-01", "PASS  OAUTH-JTI-01", "PASS  TOKEN-HEADER-01", "SKIP  TLS-VERIFY-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify report lacks %q\n%s", want, out)
		}
	}
}
