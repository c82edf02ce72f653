package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
)

// newmanBinary finds newman on PATH or where .ci/run installs it.
func newmanBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("newman"); err == nil {
		return p
	}
	local, _ := filepath.Abs(filepath.Join("..", "..", ".ci", "tools", "node_modules", ".bin", "newman"))
	if _, err := os.Stat(local); err == nil {
		return local
	}
	return needTool(t, "newman") // skips, or fails in CI
}

// TestPostmanNewman generates the collection of the demo's documents and
// runs it twice in a row with newman against the real `flamock serve
// --strict`: every request must get a documented success status (with
// --strict, a response that broke its schema would be a 500), and the
// journal must show real token requests, all granted, and only accepted
// API calls.
func TestPostmanNewman(t *testing.T) {
	t.Run("demo", func(t *testing.T) { testPostmanNewman(t, false) })
	// A config client made by flamock init (its key given with key:),
	// behind an admin token that the environment carries.
	t.Run("init config, admin token", func(t *testing.T) { testPostmanNewman(t, true) })
}

func testPostmanNewman(t *testing.T, withConfig bool) {
	newman := newmanBinary(t)
	dir := t.TempDir()
	jfile := filepath.Join(dir, "traffic.jsonl")
	serveArgs := []string{"--strict", "--journal", jfile}
	var pmArgs []string
	if withConfig {
		vendor := filepath.Join(dir, "acme")
		if code, _, errOut := flamock(t, "init", vendor); code != 0 {
			t.Fatalf("init: %s", errOut)
		}
		serveArgs = append(serveArgs, "--config", filepath.Join(vendor, "flamock.yaml"), "--admin-token", "pm-admin")
		pmArgs = []string{"--config", filepath.Join(vendor, "flamock.yaml")}
	}
	p := startServe(t, serveArgs...)
	out := filepath.Join(dir, "postman")
	code, stdout, stderr := flamock(t, append([]string{"postman", "--out", out, "--base-url", p.base}, pmArgs...)...)
	if code != 0 {
		t.Fatalf("flamock postman: exit %d\n%s", code, stderr)
	}
	t.Logf("%s", stdout)
	col := filepath.Join(out, "flamock.postman_collection.json")
	env := filepath.Join(out, "flamock.postman_environment.json")
	if withConfig { // the user fills in the admin token
		b, _ := os.ReadFile(env)
		b = []byte(strings.Replace(string(b), `"key": "adminToken",
      "value": ""`, `"key": "adminToken",
      "value": "pm-admin"`, 1))
		if !strings.Contains(string(b), "pm-admin") {
			t.Fatalf("no adminToken in the environment:\n%s", b)
		}
		os.WriteFile(env, b, 0o644)
	}
	var c struct {
		Info struct{ Schema string }
		Item []struct {
			Name string
			Item []json.RawMessage
		}
	}
	if b, err := os.ReadFile(col); err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("collection: %v", err)
	}
	// The demo has a client for both FLA documents (12 + 4 operations);
	// the config of flamock init has an employer only: the training
	// providers' document is left out, and postman says so.
	folders, want := 2, 16
	if withConfig {
		folders, want = 1, 12
		if !strings.Contains(stdout, "client self_service_chaman_403019_acme") ||
			!strings.Contains(stderr, "flamock postman: fla-training-provider.yaml left out: no client has a scope it needs (scope:sigedis:gestion:careerpro-federal-learning-account:trainingprovider)") {
			t.Errorf("postman output:\n%s\n%s", stdout, stderr)
		}
	} else if !strings.Contains(stdout, "client self_service_chaman_880820_demoemploy") {
		t.Errorf("the demo employer does not call fla.yaml:\n%s", stdout)
	}
	if c.Info.Schema != "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" || len(c.Item) != folders {
		t.Fatalf("collection: schema %q, %d folders", c.Info.Schema, len(c.Item))
	}
	ops := 0
	for _, f := range c.Item {
		ops += len(f.Item)
	}
	if ops != want {
		t.Errorf("%d requests; want every operation of the documents (%d)", ops, want)
	}

	runNewman(t, newman, dir, col, env, jfile, ops, folders)
}

// runNewman runs the collection twice with newman: every request must get
// a documented success status, and the journal must show real token
// requests, all granted, and only accepted API calls (ops a run).
func runNewman(t *testing.T, newman, dir, col, env, jfile string, ops, folders int) {
	t.Helper()
	report := filepath.Join(dir, "newman.json")
	cmd := exec.Command(newman, "run", col, "-e", env, "-n", "2", "--reporters", "cli,json", "--reporter-json-export", report, "--color", "off")
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("newman run -n 2: %v\n%s", err, outb)
	}
	var r struct {
		Run struct {
			Stats map[string]struct{ Total, Failed int }
		}
	}
	if b, err := os.ReadFile(report); err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("newman report: %v", err)
	}
	st := r.Run.Stats
	t.Logf("newman: %d iterations, %d items, %d requests (with the pre-request scripts'), %d assertions (%d failed)",
		st["iterations"].Total, st["items"].Total, st["requests"].Total, st["assertions"].Total, st["assertions"].Failed)
	if st["iterations"].Total != 2 || st["items"].Total != 2*ops || st["assertions"].Total != 2*2*ops || st["assertions"].Failed != 0 ||
		st["requests"].Failed != 0 || st["prerequestScripts"].Failed != 0 {
		t.Errorf("newman stats %+v; want 2 iterations of %d requests, 2 assertions each, none failed", st, ops)
	}

	// The journal: real token requests, all granted; every API call accepted.
	f, err := os.Open(jfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tokens, calls int
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e journal.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Token != nil:
			tokens++
			if e.Token.Verdict != journal.VerdictGranted {
				t.Errorf("token request refused: %+v", e.Token)
			}
		case e.API != nil:
			calls++
			if e.API.Verdict != journal.VerdictOK {
				t.Errorf("%s %s answered %d (%s)", e.API.Method, e.API.Path, e.API.Status, e.API.ProblemType)
			}
		}
	}
	if tokens < folders || calls != 2*ops { // at least one token per folder's client (kept while valid)
		t.Errorf("journal: %d token requests, %d API calls; want at least %d and %d", tokens, calls, folders, 2*ops)
	}
}

// TestPostmanNewman_Spec: flamock init --spec and flamock postman on a
// Swagger 2.0 document in the style of an older Social Security API
// (response codes as bare YAML numbers, a multipart upload, a placeholder
// base path): init's config serves it (serve --config, strict), postman
// writes its collection from that config, or from --spec beside serve
// --spec --strict, and newman -n 2 passes every request.
func TestPostmanNewman_Spec(t *testing.T) {
	newman := newmanBinary(t)
	spec, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "specs", "attestations-swagger2.yaml"))
	spec += "@/REST/attestations/v1"
	const ops = 4 // every operation of the document, the upload included
	t.Run("init --spec, serve --config", func(t *testing.T) {
		dir := t.TempDir()
		vendor := filepath.Join(dir, "acme")
		if code, _, errOut := flamock(t, "init", vendor, "--spec", spec); code != 0 {
			t.Fatalf("init: %s", errOut)
		}
		cfg, _ := os.ReadFile(filepath.Join(vendor, "flamock.yaml"))
		for _, want := range []string{"profile: generic", "  - file: specs/attestations-swagger2.yaml\n    basePath: /REST/attestations/v1", "strict: true"} {
			if !strings.Contains(string(cfg), want) {
				t.Errorf("flamock.yaml lacks %q:\n%s", want, cfg)
			}
		}
		if strings.Contains(string(cfg), "mandates") {
			t.Errorf("flamock.yaml names another profile's keys:\n%s", cfg)
		}
		body, err := os.ReadFile(filepath.Join(vendor, "declareAttestation.json"))
		if err != nil || !json.Valid(body) {
			t.Errorf("the body init wrote: %v %s", err, body)
		}
		jfile := filepath.Join(dir, "traffic.jsonl")
		p := startServe(t, "--config", filepath.Join(vendor, "flamock.yaml"), "--journal", jfile)
		out := filepath.Join(dir, "postman")
		if code, _, stderr := flamock(t, "postman", "--out", out, "--base-url", p.base, "--config", filepath.Join(vendor, "flamock.yaml")); code != 0 {
			t.Fatalf("flamock postman: exit %d\n%s", code, stderr)
		}
		runNewman(t, newman, dir, filepath.Join(out, "flamock.postman_collection.json"), filepath.Join(out, "flamock.postman_environment.json"), jfile, ops, 1)
	})
	t.Run("postman --spec, serve --spec --strict", func(t *testing.T) {
		dir := t.TempDir()
		jfile := filepath.Join(dir, "traffic.jsonl")
		p := startServe(t, "--spec", spec, "--strict", "--journal", jfile)
		out := filepath.Join(dir, "postman")
		code, stdout, stderr := flamock(t, "postman", "--out", out, "--base-url", p.base, "--spec", spec)
		if code != 0 {
			t.Fatalf("flamock postman: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, "attestations-swagger2.yaml                 4 operations  client self_service_chaman_880820_democlient") {
			t.Errorf("postman output:\n%s", stdout)
		}
		runNewman(t, newman, dir, filepath.Join(out, "flamock.postman_collection.json"), filepath.Join(out, "flamock.postman_environment.json"), jfile, ops, 1)
	})
}

func TestAssertionsEndpoint(t *testing.T) {
	dir := t.TempDir()
	b := writeClientFiles(t, dir, "c", certgen.P384, testEmployerEnt)
	a := newAssertionSigner()
	a.tokenPath = "/REST/oauth/v5/token"
	if err := a.addFile("self_service_chaman_403019_c", filepath.Join(dir, "c.p12"), "changeit"); err != nil {
		t.Fatal(err)
	}
	if err := a.addFile("x", filepath.Join(dir, "c.cer"), ""); err == nil || !strings.Contains(err.Error(), "no private key") {
		t.Errorf("a certificate without its key: %v", err)
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"clientId":"self_service_chaman_403019_c"}`, 200, `"audience":"http://example.com/REST/oauth/v5/token"`},
		{`{"clientId":"self_service_chaman_403019_c","audience":"https://t/x"}`, 200, `"audience":"https://t/x"`},
		{`{"clientId":"nobody"}`, 404, `flamock holds no private key for client \"nobody\" (it signs for: self_service_chaman_403019_c; give a config client's key with clients[].key)`},
		{`{"client":"x"}`, 400, `unknown key \"client\"`},
		{`{}`, 400, `clientId is required`},
		{`{"clientId":"a"}{}`, 400, `one JSON object only`},
		{`[`, 400, `body: want`},
	} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("POST", "http://example.com"+AssertionsPath, strings.NewReader(tc.body)))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s; want %d and %s", tc.body, rec.Code, rec.Body, tc.status, tc.want)
		}
	}
	_ = b
	_ = http.MethodPost
}
