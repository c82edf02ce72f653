package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// attestations is the testdata Swagger 2.0 document in the style of an
// older Social Security API (bare numeric response codes, a placeholder
// basePath, a multipart upload, its own error model), mounted at /base.
const attestations = "testdata/specs/attestations-swagger2.yaml@/base"

// conformBinary runs the real flamock binary from the repository's root.
func conformBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: the bash adapter needs it", tool)
		}
	}
	cmd := exec.Command(flamockBinary(t), args...)
	cmd.Dir = "../.."
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// flamock conform --spec judges the shipped bash adapter on another API:
// every rule it exercises passes; the tenant rule, which the generic
// profile does not have, is not exercised and says why; the multipart
// operation is left out with the reason.
func TestConform_SpecOfAnotherAPI(t *testing.T) {
	code, out, errOut := conformBinary(t, "conform", "--reference", "--spec", attestations,
		"--client", "bash conformance/adapters/bash/flamock-client.sh")
	t.Logf("flamock conform --spec %s:\n%s", attestations, out)
	if code != 0 || !strings.Contains(out, "every MUST rule passed") || strings.Contains(out, "FAIL ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"SKIP  API-TENANT-01     MUST   Only employers the client may act for (not exercised on this API: the generic profile has no tenant rule)",
		"PASS  API-DETAIL-01", "PASS  API-ID-01", "PASS  TLS-VERIFY-01", "PASS  API-BACKOFF-01",
		"operation uploadAttachment left out: its body is multipart/form-data; the adapter contract sends JSON bodies",
		"missing-scope", "validation-error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "on the generic profile") {
		t.Errorf("stderr does not name the profile:\n%s", errOut)
	}
}

// --operation builds the scenarios from the operations the client
// implements: one GET is called twice for the token scenarios.
func TestConform_SpecOneOperation(t *testing.T) {
	code, out, errOut := conformBinary(t, "conform", "--reference", "--spec", attestations, "--operation", "consultAttestation",
		"--scenario", "happy-path,token-revoked,validation-error", "--client", "bash conformance/adapters/bash/flamock-client.sh")
	if code != 0 || !strings.Contains(out, "PASS  TOKEN-RENEW-01") || !strings.Contains(out, "PASS  API-NORETRY-01") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestConform_SpecUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--operation", "lunch"}, `--operation: unknown operation "lunch"; the documents have uploadAttachment, listAttestations, declareAttestation, consultAttestation`},
		{[]string{"--operation", "uploadAttachment"}, "--operation: operation uploadAttachment cannot be judged: its body is multipart/form-data; the adapter contract sends JSON bodies"},
		{[]string{"--operation", "consultAttestation", "--operation", "consultAttestation"}, "operation consultAttestation is named twice"},
		{[]string{"--scenario", "unmandated-employer"}, `--scenario: unknown scenario "unmandated-employer" (this run has happy-path, several-operations`},
	} {
		args := append([]string{"conform", "--client", "x", "--spec", "../../" + attestations}, tc.args...)
		code, _, errOut := flamock(t, args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}
	code, _, errOut := flamock(t, "conform", "--client", "x", "--profile", "generic")
	if code != 1 || !strings.Contains(errOut, "no document: give one with --spec FILE") {
		t.Errorf("generic without --spec: exit %d, %q", code, errOut)
	}
}

// verify --spec knows the API the journal was recorded on: the tenant rule
// of a profile without one is not exercised, with the reason.
func TestVerify_SpecNamesWhatTheAPICannotExercise(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.WriteFile(journal, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := flamock(t, "verify", "--spec", "../../"+attestations, journal)
	if code != 0 || !strings.Contains(out, "API-TENANT-01") || !strings.Contains(out, "not exercised on this API: the generic profile has no tenant rule") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = flamock(t, "verify", journal)
	if code != 0 || strings.Contains(out, "not exercised on this API") {
		t.Errorf("the FLA has a tenant rule: exit %d\n%s", code, out)
	}
}
