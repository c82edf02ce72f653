package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/conformance"
)

// conformJSON runs flamock conform and decodes its JSON report.
func conformJSON(t *testing.T, args ...string) (int, conformance.Report, string) {
	t.Helper()
	code, out, errOut := flamock(t, append([]string{"conform", "--json"}, args...)...)
	var rep conformance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("conform %v: %v\n%s\n%s", args, err, out, errOut)
	}
	return code, rep, errOut
}

// A client that does nothing, or fails at once, passes no rule but the
// certificate's own: a rule passes on evidence from the run, never on the
// absence of traffic (TLS-VERIFY-01 passed for `true` before).
func TestConform_NoEvidenceNoPass(t *testing.T) {
	for _, client := range []string{"true", "false"} {
		code, rep, _ := conformJSON(t, "--client", client)
		if code != 1 {
			t.Errorf("--client %s: exit %d; want 1", client, code)
		}
		for _, o := range rep.Outcomes {
			if o.Status == conformance.Pass && o.Rule.Area != conformance.AreaCertificate {
				t.Errorf("--client %s: %s passed: %s", client, o.Rule.ID, o.Reason)
			}
		}
		if rep.ClientNeverRan == "" {
			t.Errorf("--client %s: the report does not say the client never ran", client)
		}
	}
	_, rep, _ := conformJSON(t, "--client", "false", "--scenario", "happy-path")
	if want := "the adapter did not start: it exited with status 1 and wrote nothing on stderr (in every scenario: no request, no result)"; rep.ClientNeverRan != want {
		t.Errorf("--client false: %q; want %q", rep.ClientNeverRan, want)
	}
}

// A client that crashes on start is reported once, with its stderr, not
// once per scenario.
func TestConform_ClientThatNeverStartedIsReportedOnce(t *testing.T) {
	client := `echo 'Traceback (most recent call last):' >&2; echo "ModuleNotFoundError: No module named 'jwt'" >&2; exit 1`
	code, out, _ := flamock(t, "conform", "--client", client, "--scenario", "happy-path,token-expiry,server-error")
	if code != 1 {
		t.Errorf("exit %d; want 1", code)
	}
	want := "the adapter did not start: ModuleNotFoundError: No module named 'jwt' (in every scenario: no request, no result)"
	if n := strings.Count(out, want); n != 1 {
		t.Errorf("%q appears %d times; want once:\n%s", want, n, out)
	}
	if n := strings.Count(out, "  Traceback (most recent call last):"); n != 1 {
		t.Errorf("the stderr tail appears %d times; want once:\n%s", n, out)
	}
}

// The Python and Node templates say in one line what they need installed.
func TestAdapterTemplates_SayWhatTheyNeed(t *testing.T) {
	t.Run("python", func(t *testing.T) {
		python := needTool(t, "python3")
		fake := t.TempDir() // a jwt module that is not there, whatever this machine has
		os.WriteFile(filepath.Join(fake, "jwt.py"), []byte("raise ModuleNotFoundError(\"No module named 'jwt'\", name='jwt')\n"), 0o644)
		cmd := exec.Command(python, "../../conformance/adapters/python/flamock_client.py")
		cmd.Env = append(os.Environ(), "PYTHONPATH="+fake)
		out, err := cmd.CombinedOutput()
		want := "python-adapter: needs PyJWT, requests and cryptography: pip install pyjwt requests cryptography (Debian: apt-get install python3-jwt python3-requests python3-cryptography): ModuleNotFoundError: No module named 'jwt'\n"
		if err == nil || string(out) != want {
			t.Errorf("%v\n got %q\nwant %q", err, out, want)
		}
	})
	t.Run("node", func(t *testing.T) {
		node := needTool(t, "node")
		dir := t.TempDir() // no node_modules beside it, nor above
		src, _ := os.ReadFile("../../conformance/adapters/node/flamock-client.mjs")
		os.WriteFile(filepath.Join(dir, "flamock-client.mjs"), src, 0o644)
		out, err := exec.Command(node, filepath.Join(dir, "flamock-client.mjs")).CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err == nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "node-adapter: needs jose and undici: run npm install in "+dir+": ") {
			t.Errorf("%v\n%s", err, out)
		}
	})
}

// The adapter init writes is flamock's reference client until the vendor
// changes it: conform says so first and last and exits 1, unless
// --reference; a changed adapter is judged as the vendor's.
func TestConform_ReferenceClientIsNamed(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl"} {
		needTool(t, tool)
	}
	dir := filepath.Join(t.TempDir(), "acme")
	if code, _, errOut := flamock(t, "init", dir); code != 0 {
		t.Fatal(errOut)
	}
	adapter := filepath.Join(dir, "adapter", "flamock-client.sh")
	src, _ := os.ReadFile(adapter)
	for _, mark := range []string{"YOUR CLIENT (1 of 2)", "YOUR CLIENT (2 of 2)"} {
		if !strings.Contains(string(src), mark) {
			t.Errorf("the adapter init wrote lacks %q", mark)
		}
	}
	note := "this run judged flamock's reference client (conformance/adapters/bash/flamock-client.sh, unmodified, as " + adapter + "), not yours"
	code, out, errOut := flamock(t, "conform", "--client", "bash "+adapter, "--scenario", "happy-path")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || lines[1] != "NOTE: "+note || lines[len(lines)-3] != "NOTE: "+note {
		t.Errorf("unmodified adapter: exit %d; want 1 and the note first and last\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "exit status 1: this run judged flamock's reference client, not yours (--reference to judge it on purpose)") {
		t.Errorf("stderr does not say why the exit status is 1:\n%s", errOut)
	}
	if code, out, _ := flamock(t, "conform", "--reference", "--client", "bash "+adapter, "--scenario", "happy-path"); code != 0 || !strings.Contains(out, note) {
		t.Errorf("--reference: exit %d; want 0 with the note\n%s", code, out)
	}
	os.WriteFile(adapter, append(src, []byte("# calls acme-payroll-client instead\n")...), 0o755)
	if code, out, _ := flamock(t, "conform", "--client", "bash "+adapter, "--scenario", "happy-path"); code != 0 || strings.Contains(out, "reference client") {
		t.Errorf("a changed adapter: exit %d; want 0 and no note\n%s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err != nil || !strings.Contains(string(b), "certs/*.key\ncerts/*.p12\n") {
		t.Errorf("init wrote no .gitignore for its keys: %v %q", err, b)
	}
}
