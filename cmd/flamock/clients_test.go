package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needLibrary skips a test whose client library is missing on a developer
// machine, and fails it in CI (CI=true), where .ci/run installs it.
func needLibrary(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI installs it: .ci/run)", args...)
	}
	t.Skipf(format+"; .ci/run installs it", args...)
}

// authlibPython is a Python that imports Authlib, requests and
// cryptography: Debian's /usr/bin/python3 with python3-authlib first, as
// another python3 on PATH (pyenv) may not see Debian's packages.
func authlibPython() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import authlib, requests, cryptography").Run() == nil {
			return p
		}
	}
	return ""
}

// openidClientModules is the node_modules folder holding openid-client:
// FLAMOCK_NODE_MODULES, else the one .ci/run installs into.
func openidClientModules() string {
	dir := os.Getenv("FLAMOCK_NODE_MODULES")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "..", ".ci", "out", "node", "node_modules"))
	}
	if _, err := os.Stat(filepath.Join(dir, "openid-client", "package.json")); err != nil {
		return ""
	}
	return dir
}

// clientRun is what the client scripts print.
type clientRun struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Put              int    `json:"put"`
	Get              int    `json:"get"`
	TokenType        string `json:"tokenType"`
	GetBody          string `json:"getBody"`
}

func runClient(t *testing.T, wantExit int, name string, args []string, env ...string) clientRun {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	out, err := cmd.Output()
	timer.Stop()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if code != wantExit {
		t.Fatalf("%s %s: exit %d, want %d\nstdout %s\nstderr %s", name, args[0], code, wantExit, out, stderr.String())
	}
	var r clientRun
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s %s: output %q is not JSON: %v\nstderr %s", name, args[0], out, err, stderr.String())
	}
	return r
}

// clientFixture starts the real binary with a test config and writes the
// PUT body; it returns the server, the client files' folder and the body file.
func clientFixture(t *testing.T) (*servedProcess, string, string) {
	t.Helper()
	cfg, _ := writeTestConfig(t, "")
	p := startServe(t, "--config", cfg)
	body := filepath.Join(t.TempDir(), "trainings.json")
	if err := os.WriteFile(body, []byte(trainingsBody(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, filepath.Dir(cfg), body
}

const issuerHint = `looks like an issuer; libraries such as openid-client and oauth4webapi put the issuer in aud by default — set it to the token URL`

// TestClient_Authlib: Python Authlib, with private_key_jwt and the client
// credentials grant, against the real binary. With its defaults the
// assertion lives 3600 s and is refused with the hint; configured as the
// docs/clients.md says, it gets a token and does a PUT and a GET.
func TestClient_Authlib(t *testing.T) {
	py := authlibPython()
	needLibrary(t, py != "", "Authlib not found (Debian: apt-get install python3-authlib)")
	p, dir, body := clientFixture(t)
	tokenURL := p.base + "/REST/oauth/v5/token"
	api := trainingsURL(p.base, "403019261", "65111899801", 2023)
	script := filepath.Join("testdata", "clients", "authlib_client.py")
	args := func(mode string) []string {
		return []string{script, mode, tokenURL, testEmployerID, filepath.Join(dir, "employer.p12"), "changeit", api, body}
	}

	r := runClient(t, 3, py, args("default"))
	want := "client_assertion exp is 3600 s after iat; at most 600 s allowed; 3600 s is the default lifetime of several libraries (Authlib's among them): set exp explicitly"
	if r.Error != "invalid_client" || r.ErrorDescription != want {
		t.Errorf("Authlib defaults: %+v\nwant invalid_client %q", r, want)
	}

	r = runClient(t, 0, py, args("documented"))
	if r.Put != 200 || r.Get != 200 || r.TokenType != "Bearer" || !strings.Contains(r.GetBody, "trainings") {
		t.Errorf("Authlib as documented: %+v", r)
	}
}

// TestClient_OpenIDClient: Node openid-client v6 with PrivateKeyJwt against
// the real binary. With its defaults aud is the issuer and is refused with
// the hint; with aud set to the token URL as the docs/clients.md says, it gets a
// token and does a PUT and a GET with fetchProtectedResource.
func TestClient_OpenIDClient(t *testing.T) {
	node := needTool(t, "node")
	openssl := needTool(t, "openssl")
	modules := openidClientModules()
	needLibrary(t, modules != "", "openid-client not found in .ci/out/node/node_modules or $FLAMOCK_NODE_MODULES (npm install --prefix .ci/out/node openid-client@6)")
	p, dir, body := clientFixture(t)
	// The step of docs/clients.md: the key out of the .p12, as PKCS#8 PEM.
	keyFile := filepath.Join(t.TempDir(), "employer-pkcs8.key")
	if out, err := exec.Command(openssl, "pkcs12", "-in", filepath.Join(dir, "employer.p12"), "-passin", "pass:changeit",
		"-nocerts", "-nodes", "-out", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	tokenURL := p.base + "/REST/oauth/v5/token"
	api := trainingsURL(p.base, "403019261", "65111899801", 2023)
	script := filepath.Join("testdata", "clients", "openid_client.mjs")
	args := func(mode string) []string {
		return []string{script, mode, p.base, tokenURL, testEmployerID, keyFile, api, body}
	}
	env := "FLAMOCK_NODE_MODULES=" + modules

	r := runClient(t, 3, node, args("default"), env)
	want := `client_assertion aud is "` + p.base + `"; want "` + tokenURL + `" ("` + p.base + `" ` + issuerHint + `)`
	if r.Error != "invalid_client" || r.ErrorDescription != want {
		t.Errorf("openid-client defaults: %+v\nwant invalid_client %q", r, want)
	}

	r = runClient(t, 0, node, args("documented"), env)
	if r.Put != 200 || r.Get != 200 || r.TokenType != "bearer" && r.TokenType != "Bearer" || !strings.Contains(r.GetBody, "trainings") {
		t.Errorf("openid-client as documented: %+v", r)
	}
}
