package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/ssoauth"
)

func TestConform_BashAdapterPasses(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: the bash adapter needs it", tool)
		}
	}
	dir := t.TempDir()
	junit, jsonFile := filepath.Join(dir, "conform.xml"), filepath.Join(dir, "conform.json")
	code, out, errOut := flamock(t, "conform", "--reference", "--client", "bash ../../conformance/adapters/bash/flamock-client.sh",
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

// A client that sends its own scope, beside another tool's call without a
// token and another client's refused call, is judged on its own traffic:
// before, the empty --scopes list failed OAUTH-SCOPE-01, the other traffic
// was blamed on the client, and the verdict was always NOT CONFORMANT.
func TestVerify_ClientIDJudgesOnlyThatClient(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	p := startServe(t, "--config", cfg, "--journal", journalFile)
	client := &http.Client{Timeout: 10 * time.Second}
	tokenURL := p.base + "/REST/oauth/v5/token"
	a, err := ssoauth.Assertion{ClientID: testEmployerID, Audience: tokenURL, Key: bundles[testEmployerID].Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ssoauth.RequestToken(t.Context(), client, tokenURL, a, "scope:sigedis:gestion:careerpro-federal-learning-account:employer")
	if err != nil {
		t.Fatal(err)
	}
	url := trainingsURL(p.base, "403019261", "65111899801", 2023)
	if r := call(t, client, "PUT", url, tok.AccessToken, trainingsBody(t)); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	// Another tool, no token: a 404 that is nobody's API-SCHEMA-01.
	call(t, client, "GET", p.base+"/.well-known/openid-configuration", "", "")
	// Another client whose call is refused: not this client's TOKEN-RENEW-01.
	call(t, client, "GET", url, "not-a-token", "")
	// This client's token request with a client_id form field that is not
	// its own: refused as an unknown client, and OAUTH-ISS-01 says why.
	a2, err := ssoauth.Assertion{ClientID: testEmployerID, Audience: tokenURL, Key: bundles[testEmployerID].Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	form := "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" +
		"&client_id=other-app&client_assertion=" + a2
	resp, err := client.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 && resp.StatusCode != 400 {
		t.Fatalf("token request with a foreign client_id: status %d", resp.StatusCode)
	}
	p.kill()

	code, out, errOut := flamock(t, "verify", journalFile, "--client-id", testEmployerID)
	if code != 1 {
		t.Fatalf("verify: exit %d; want 1 (OAUTH-ISS-01)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"PASS  OAUTH-SCOPE-01", "PASS  API-SCHEMA-01", "FAIL  OAUTH-ISS-01",
		`the client_id form field is "other-app"`, `client_id form field: "other-app"`,
		"unattributed traffic, not judged (2 event(s)", "GET /.well-known/openid-configuration",
		"1 MUST failed", "need `flamock conform`: NOT CONFORMANT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verify report lacks %q\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"FAIL  API-SCHEMA-01", "FAIL  TOKEN-RENEW-01", "FAIL  OAUTH-SCOPE-01"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("verify report has %q\n%s", unwanted, out)
		}
	}
}

// Everything a journal decides passed: verify exits 0 and says how much it
// judged and what needs flamock conform.
func TestVerify_VerdictCoversWhatAJournalDecides(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	p := startServe(t, "--config", cfg, "--journal", journalFile)
	client := &http.Client{Timeout: 10 * time.Second}
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	if r := call(t, client, "GET", trainingsURL(p.base, "403019261", "65111899801", 2023), token, ""); r.status != 200 && r.status != 404 {
		t.Fatalf("GET: %d %s", r.status, r.raw)
	}
	p.kill()
	code, out, errOut := flamock(t, "verify", journalFile, "--client-id", testEmployerID)
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
	if !regexp.MustCompile("judged [0-9]+ rules: all MUST passed; [0-9]+ skipped; [0-9]+ need `flamock conform`\n$").MatchString(out) {
		t.Errorf("verdict line:\n%s", out)
	}
	if strings.Contains(out, "NOT CONFORMANT") {
		t.Errorf("a journal whose judged rules all passed is called NOT CONFORMANT\n%s", out)
	}
}

// --scenario judges only what the chosen scenarios exercise, and each
// scenario's line comes on stderr as it finishes.
func TestConform_ScenarioSubsetAndProgress(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: the bash adapter needs it", tool)
		}
	}
	code, out, errOut := flamock(t, "conform", "--reference", "--client", "bash ../../conformance/adapters/bash/flamock-client.sh", "--scenario", "happy-path,validation-error")
	if code != 0 {
		t.Fatalf("exit %d; before, --scenario always failed with MUST rules not exercised\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"PASS  API-NORETRY-01", "SKIP  API-BACKOFF-01", "the chosen scenarios do not exercise it (--scenario)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}
	// A subset is no conformance verdict, and says what it judged.
	if strings.Contains(out, "every MUST rule passed") || !regexp.MustCompile(`(?m)^judged \d+ of \d+ rules \(\d+ passed, 0 failed\); not a conformance verdict$`).MatchString(out) {
		t.Errorf("a --scenario run's verdict does not say what it judged:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^  happy-path +PASS +[0-9.]+s$`).MatchString(errOut) || !regexp.MustCompile(`(?m)^  validation-error +PASS +[0-9.]+s$`).MatchString(errOut) {
		t.Errorf("no progress line per scenario on stderr:\n%s", errOut)
	}
}

// An adapter whose every operation failed shows its error lines and
// stderr, in text and JSON, where they explain the skipped rules.
func TestConform_ClientErrorsExplainSkips(t *testing.T) {
	adapter := `cut -f1 "$FLAMOCK_OPERATIONS_TSV" | while read -r id; do printf '{"id":"%s","error":"token: dial tcp: connection refused by proxy"}\n' "$id"; done; echo "adapter: HTTPS_PROXY=http://proxy.invalid:3128 in use" >&2`
	jsonFile := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := flamock(t, "conform", "--client", adapter, "--scenario", "happy-path", "--json-report", jsonFile)
	if code != 1 {
		t.Errorf("exit %d; want 1", code)
	}
	for _, want := range []string{"SKIP  happy-path", "no evidence for: OAUTH-FORM-01", "the client's error lines:",
		"put-trainings: token: dial tcp: connection refused by proxy", "stderr (last lines):", "adapter: HTTPS_PROXY=http://proxy.invalid:3128 in use"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q\n%s", want, out)
		}
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Runs []struct {
			Errors     []string `json:"errors"`
			StderrTail []string `json:"stderrTail"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Runs) != 1 || len(rep.Runs[0].Errors) != 2 || len(rep.Runs[0].StderrTail) != 1 {
		t.Errorf("JSON report runs: %+v (%v)\n%s", rep.Runs, err, b)
	}
}

// A client killed at the time limit: its stderr tail is in the progress
// line and in the report.
func TestConform_TimeLimitShowsStderr(t *testing.T) {
	code, out, errOut := flamock(t, "conform", "--client", "echo 'adapter: waiting for the token endpoint' >&2; sleep 30", "--scenario", "happy-path", "--time-limit", "3s")
	if code != 1 {
		t.Errorf("exit %d; want 1", code)
	}
	if !strings.Contains(errOut, "killed at the time limit") || !strings.Contains(errOut, "adapter: waiting for the token endpoint") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if !strings.Contains(out, "did not finish within 3s") || !strings.Contains(out, "adapter: waiting for the token endpoint") {
		t.Errorf("report:\n%s", out)
	}
}
