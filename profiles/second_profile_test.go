package profiles_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/profiles"
)

// TestSecondProfile shows what a second profile costs: its own package
// (testdata/profiles/tiny/tiny.go.txt, added as profiles/tiny/tiny.go) and
// two lines in profiles.go (its import and its entry in All), nothing
// else. The real binary, built with that overlay, lists it, serves its
// document under --profile tiny, and applies its rule.
func TestSecondProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the flamock binary; skipped with -short")
	}
	src, err := os.ReadFile("profiles.go")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "\t\"github.com/flamock/flamock/profiles/generic\"\n",
		"\t\"github.com/flamock/flamock/profiles/generic\"\n\t\"github.com/flamock/flamock/profiles/tiny\"\n", 1)
	edited = strings.Replace(edited, "\t\tgeneric.StackProfile(),\n", "\t\tgeneric.StackProfile(),\n\t\ttiny.StackProfile(),\n", 1)
	if added := len(strings.Split(edited, "\n")) - len(strings.Split(string(src), "\n")); added != 2 {
		t.Fatalf("the registry edit adds %d lines; want 2 (the import and the entry)", added)
	}
	dir := t.TempDir()
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	regPath, tinyPath := filepath.Join(dir, "profiles.go"), filepath.Join(dir, "tiny.go")
	if err := os.WriteFile(regPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	tinySrc, err := os.ReadFile("../testdata/profiles/tiny/tiny.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tinyPath, tinySrc, 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
		abs("profiles.go"):  regPath,
		abs("tiny/tiny.go"): tinyPath,
	}})
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "flamock")
	if out, err := exec.Command("go", "build", "-overlay", overlayFile, "-o", bin, "../cmd/flamock").CombinedOutput(); err != nil {
		t.Fatalf("go build with the second profile: %v\n%s", err, out)
	}

	// init and postman take the profile's model as serve does: tiny has no
	// API of its own, so it is the one every profile shares (stack.Profile.Model).
	initDir := filepath.Join(dir, "acme")
	if out, err := exec.Command(bin, "init", initDir, "--profile", "tiny").CombinedOutput(); err != nil {
		t.Fatalf("flamock init --profile tiny: %v\n%s", err, out)
	}
	if cfg, err := os.ReadFile(filepath.Join(initDir, "flamock.yaml")); err != nil || !strings.Contains(string(cfg), "profile: tiny") || !strings.Contains(string(cfg), "\n    scopes: []") {
		t.Fatalf("init's flamock.yaml (%v):\n%s\nwant profile: tiny, and scopes: [] (tiny grants none by quality)", err, cfg)
	}
	pmDir := filepath.Join(dir, "postman")
	pmOut, err := exec.Command(bin, "postman", "--config", filepath.Join(initDir, "flamock.yaml"), "--out", pmDir).CombinedOutput()
	if err != nil {
		t.Fatalf("flamock postman --config (init's, profile tiny): %v\n%s", err, pmOut)
	}
	col, err := os.ReadFile(filepath.Join(pmDir, "flamock.postman_collection.json"))
	if err != nil || !strings.Contains(string(col), `"name": "putNote`) || !strings.Contains(string(col), `"name": "getNote`) {
		t.Fatalf("postman collection (%v): %s\n%s\nwant putNote and getNote", err, pmOut, col)
	}

	out, err := exec.Command(bin, "profiles").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "tiny       a second profile in one file: one document, one rule\n"; !strings.HasSuffix(string(out), want) || len(strings.Split(strings.TrimSpace(string(out)), "\n")) != len(profiles.All())+1 {
		t.Fatalf("flamock profiles:\n%s\nwant the known profiles and %q", out, want)
	}

	cmd := exec.Command(bin, "serve", "--profile", "tiny", "--addr", "127.0.0.1:0", "--strict")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	base := ""
	deadline := time.Now().Add(30 * time.Second)
	for base == "" && time.Now().Before(deadline) && sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatal("serve --profile tiny printed no address")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := do("PUT", "/REST/tiny/v1/notes/a", `{"text":"hello"}`); code != 200 {
		t.Fatalf("PUT = %d %s", code, b)
	}
	if code, b := do("GET", "/REST/tiny/v1/notes/a", ""); code != 200 || !strings.Contains(b, "hello") {
		t.Fatalf("GET = %d %s", code, b)
	}
	if code, b := do("PUT", "/REST/tiny/v1/notes/b", `{"text":""}`); code != 400 || !strings.Contains(b, "a note must not be empty") {
		t.Fatalf("the profile's rule: PUT = %d %s", code, b)
	}
	if code, b := do("GET", "/__admin/health", ""); code != 200 || !strings.Contains(b, `"profile":"tiny"`) {
		t.Fatalf("health = %d %s", code, b)
	}
}
