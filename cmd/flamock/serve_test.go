package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/profiles/fla"
)

// The tests here run the real flamock binary, as a user does: built once
// per test binary.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func flamockBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the flamock binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flamock-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "flamock")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// servedProcess is a running `flamock serve`.
type servedProcess struct {
	cmd    *exec.Cmd
	base   string // http(s)://127.0.0.1:port
	banner string
	stderr *syncBuffer // the process writes while the test reads
	done   chan struct{}
}

var listenRE = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+)`)

// startServe starts `flamock serve args...` on a free loopback port and
// waits for its banner. The process is killed at the end of the test.
func startServe(t *testing.T, args ...string) *servedProcess {
	t.Helper()
	bin := flamockBinary(t)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &servedProcess{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		var banner strings.Builder
		for sc.Scan() {
			banner.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Ctrl-C stops it.") {
				lines <- banner.String()
			}
		}
		io.Copy(io.Discard, stdout)
		close(lines)
	}()
	go func() { cmd.Wait(); close(p.done) }()
	select {
	case b, ok := <-lines:
		if !ok {
			<-p.done
			t.Fatalf("flamock serve exited before it was ready: %v\n%s", cmd.ProcessState, p.stderr)
		}
		p.banner = b
	case <-time.After(30 * time.Second):
		t.Fatalf("flamock serve printed no banner in 30 s\n%s", p.stderr)
	}
	m := listenRE.FindStringSubmatch(p.banner)
	if m == nil {
		t.Fatalf("no address in the banner:\n%s", p.banner)
	}
	p.base = m[1]
	return p
}

func (p *servedProcess) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// writeClientFiles makes a certificate and key for a test client.
func writeClientFiles(t *testing.T, dir, name string, key certgen.KeyType, enterprise string) *certgen.Bundle {
	t.Helper()
	b, err := certgen.Create(certgen.Request{Key: key, CommonName: name, EnterpriseNumber: enterprise})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteFiles(filepath.Join(dir, name), "changeit", certgen.Modern); err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	testEmployerID  = "self_service_chaman_403019_testemploy"
	testProviderID  = "self_service_chaman_314595_testprovid"
	testEmployerEnt = "0403019261"
	testProviderEnt = "0314595348"
)

// writeTestConfig writes a config with an employer and a provider mandated
// by it, and returns the config path and the clients' bundles.
func writeTestConfig(t *testing.T, extra string) (string, map[string]*certgen.Bundle) {
	t.Helper()
	dir := t.TempDir()
	bundles := map[string]*certgen.Bundle{
		testEmployerID: writeClientFiles(t, dir, "employer", certgen.RSA2048, testEmployerEnt),
		testProviderID: writeClientFiles(t, dir, "provider", certgen.P384, testProviderEnt),
	}
	cfg := fmt.Sprintf(`clients:
  - id: %s
    quality: employer
    enterpriseNumber: "%s"
    certificates: [employer.cer]
  - id: %s
    quality: provider
    enterpriseNumber: "%s"
    certificates: [provider.p12]
    password: changeit
mandates:
  - provider: "%s"
    employer: "%s"
strict: true
%s`, testEmployerID, testEmployerEnt, testProviderID, testProviderEnt, testProviderEnt, testEmployerEnt, extra)
	path := filepath.Join(dir, "flamock.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, bundles
}

func getToken(t *testing.T, client *http.Client, base, id string, b *certgen.Bundle) string {
	t.Helper()
	tokenURL := base + "/REST/oauth/v5/token"
	a, err := ssoauth.Assertion{ClientID: id, Audience: tokenURL, Key: b.Key}.Sign()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ssoauth.RequestToken(context.Background(), client, tokenURL, a, "")
	if err != nil {
		t.Fatalf("token for %s: %v", id, err)
	}
	return tok.AccessToken
}

type apiResult struct {
	status int
	body   map[string]any
	raw    string
}

func call(t *testing.T, client *http.Client, method, url, token, body string) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResult{status: resp.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

func trainingsBody(t *testing.T) string {
	t.Helper()
	b, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func trainingsURL(base, employer, ssin string, year int) string {
	return fmt.Sprintf("%s%s/employers/%s/employees/%s/calendarYears/%d/trainings", base, fla.EmployerBasePath, employer, ssin, year)
}

// The binary with --config: token, PUT, GET, a validation error and a
// mandate refusal over real HTTP, and the time from process start to the
// first successful answer.
func TestServe_BinaryWithConfig(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	flamockBinary(t) // build outside the timing
	start := time.Now()
	p := startServe(t, "--config", cfg)
	client := &http.Client{Timeout: 10 * time.Second}
	if r := call(t, client, "GET", p.base+"/__admin/ready", "", ""); r.status != 200 {
		t.Fatalf("ready: %d %s", r.status, r.raw)
	}
	t.Logf("startup to first ready answer: %v (includes exec and spec loading)", time.Since(start))

	emp := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	body := trainingsBody(t)
	url := trainingsURL(p.base, "403019261", "65111899801", 2023)
	if r := call(t, client, "PUT", url, emp, body); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	r := call(t, client, "GET", url, emp, "")
	if r.status != 200 || len(r.body["trainings"].([]any)) != 2 {
		t.Fatalf("GET: %d %s", r.status, r.raw)
	}
	// A validation error: a bad SSIN check digit and a training without a name.
	bad := strings.Replace(body, `"name": "Safety at work, basic course",`, "", 1)
	r = call(t, client, "PUT", trainingsURL(p.base, "403019261", "65111899802", 2023), emp, bad)
	if r.status != 400 || r.body["type"] != "urn:problem-type:belgif:badRequest" {
		t.Fatalf("invalid PUT: %d %s", r.status, r.raw)
	}
	// The provider may act for its mandating employer, not for another one.
	prov := getToken(t, client, p.base, testProviderID, bundles[testProviderID])
	if r := call(t, client, "GET", url, prov, ""); r.status != 200 {
		t.Errorf("mandated provider GET: %d %s", r.status, r.raw)
	}
	r = call(t, client, "GET", trainingsURL(p.base, "0566988259", "65111899801", 2023), prov, "")
	if r.status != 403 || r.body["type"] != "urn:problem-type:belgif:missingPermission" {
		t.Errorf("unmandated employer: %d %s", r.status, r.raw)
	}
	// SIGTERM stops it cleanly.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			t.Errorf("exit after SIGTERM: %v\n%s", p.cmd.ProcessState, p.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Error("flamock serve did not stop within 10 s of SIGTERM")
	}
}

// The demo (no flags) prints everything a newcomer needs, and the printed
// files and ids work.
func TestServe_Demo(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--demo-dir", dir)
	for _, want := range []string{"token URL", "/REST/careerpro-fla/v1", "/REST/careerpro-fla-training-provider/v1",
		"self_service_chaman_880820_demoemploy", "mandated by 0880820673", "TOKEN=$(" + flamockBinary(t) + " token", "curl -X PUT"} {
		if !strings.Contains(p.banner, want) {
			t.Errorf("banner lacks %q\n%s", want, p.banner)
		}
	}
	code, out, errOut := flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token",
		"--client-id", "self_service_chaman_880820_demoemploy", "--key", filepath.Join(dir, "employer.p12"), "--password", "changeit")
	if code != 0 {
		t.Fatalf("flamock token: exit %d %s", code, errOut)
	}
	body, _ := os.ReadFile(filepath.Join(dir, "trainings-2023.json"))
	r := call(t, http.DefaultClient, "PUT", trainingsURL(p.base, "880820673", "65111899801", 2023), strings.TrimSpace(out), string(body))
	if r.status != 200 {
		t.Fatalf("the banner's PUT: %d %s", r.status, r.raw)
	}
	// flamock token shows the server's OAuth error and exits 1.
	code, _, errOut = flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token",
		"--client-id", "self_service_chaman_880820_demoemploy", "--key", filepath.Join(dir, "provider.p12"), "--password", "changeit")
	if code != 1 || !strings.Contains(errOut, "flamock token: token endpoint answered 400 invalid_client") {
		t.Errorf("token signed with another client's key: exit %d, %q", code, errOut)
	}
}

// With --tls a client that trusts the printed CA gets through and one
// that does not is refused.
func TestServe_TLS(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--tls", "--demo-dir", dir)
	if !strings.HasPrefix(p.base, "https://") {
		t.Fatalf("base %s is not https", p.base)
	}
	caFile := filepath.Join(dir, "flamock-ca.pem")
	code, out, errOut := flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token", "--ca", caFile,
		"--client-id", "self_service_chaman_880820_demoemploy", "--key", filepath.Join(dir, "employer.p12"), "--password", "changeit")
	if code != 0 || out == "" {
		t.Fatalf("token over TLS with the CA: exit %d %s", code, errOut)
	}
	code, _, errOut = flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token",
		"--client-id", "self_service_chaman_880820_demoemploy", "--key", filepath.Join(dir, "employer.p12"), "--password", "changeit")
	if code != 1 || !strings.Contains(errOut, "certificate signed by unknown authority") {
		t.Errorf("token over TLS without the CA: exit %d, %q", code, errOut)
	}
	ca, err := certgen.LoadFile(caFile, "")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certs[0])
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if r := call(t, c, "GET", p.base+"/__admin/ready", "", ""); r.status != 200 {
		t.Errorf("ready over TLS: %d", r.status)
	}
}

func TestServe_Errors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("clients:\n  - id: x\n    quality: employer\n    certificates: [missing.cer]\n"), 0o644)
	code, _, errOut := flamock(t, "serve", "--config", bad, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "clients[0] (x): open "+filepath.Join(dir, "missing.cer")+": no such file or directory") {
		t.Errorf("missing certificate: exit %d, %q", code, errOut)
	}
	code, _, errOut = flamock(t, "serve", "--addr", "256.0.0.1:http", "--demo-dir", dir)
	if code != 1 || !strings.Contains(errOut, "flamock serve: listen tcp") {
		t.Errorf("bad address: exit %d, %q", code, errOut)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	code, _, errOut = flamock(t, "serve", "--addr", "127.0.0.1:0", "--admin-addr", busy.Addr().String(), "--demo-dir", dir)
	if want := "flamock serve: --admin-addr: listen tcp " + busy.Addr().String() + ": bind: address already in use\n"; code != 1 || errOut != want {
		t.Errorf("admin address in use: exit %d, %q; want 1, %q", code, errOut, want)
	}
	code, _, errOut = flamock(t, "serve", "extra")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, %q", code, errOut)
	}
}

// The example configuration in testdata works as documented once its
// certificates exist (made here as its comment says).
func TestServe_ExampleConfig(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flamock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flamock.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(dir, "certs")
	os.Mkdir(certs, 0o755)
	for _, c := range []struct {
		name, enterprise string
		key              certgen.KeyType
	}{{"employer", "0403019261", certgen.RSA2048}, {"provider", "0314595348", certgen.P384}, {"trainingprovider", "0566988259", certgen.RSA2048}} {
		writeClientFiles(t, certs, c.name, c.key, c.enterprise)
	}
	p := startServe(t, "--config", filepath.Join(dir, "flamock.yaml"))
	for _, want := range []string{"state          " + filepath.Join(dir, "flamock-state.log") + " (durable)", "journal        " + filepath.Join(dir, "flamock-journal.jsonl")} {
		if !strings.Contains(p.banner, want) {
			t.Errorf("banner lacks %q\n%s", want, p.banner)
		}
	}
	code, out, errOut := flamock(t, "token", "--token-url", p.base+"/REST/oauth/v5/token",
		"--client-id", "self_service_chaman_566988_trainingce", "--key", filepath.Join(certs, "trainingprovider.p12"), "--password", "changeit")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("token for the example's training provider: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "flamock-journal.jsonl")); err != nil {
		t.Errorf("journal file: %v", err)
	}
}
