package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needTool skips when a tool is missing on a developer machine, and fails
// in CI (CI=true), which installs it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; CI must install it", name)
		}
		t.Skipf("%s not found; skipped (CI installs it)", name)
	}
	return p
}

// freshClone copies the files of the repository that git tracks or would
// track (tracked, plus new files not ignored) to a new folder: what a
// fresh clone of the next commit holds.
func freshClone(t *testing.T) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "flamock")
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestQuickStart runs the README's quick start, line for line, with bash
// in a fresh copy of the repository. The one change: port 8080 becomes a
// free port, since the machine running the tests may have 8080 in use.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README quick start (builds, serves, runs the conformance suite); skipped with -short")
	}
	needTool(t, "curl")
	needTool(t, "openssl")
	bash := needTool(t, "bash")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- quickstart:begin -->\n```sh\n(.*?)```\n<!-- quickstart:end -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md: no quick start block between <!-- quickstart:begin --> and <!-- quickstart:end -->")
	}
	script := strings.ReplaceAll(string(m[1]), "127.0.0.1:8080", "127.0.0.1:"+strconv.Itoa(freePort(t)))
	dir := freshClone(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // nothing it started outlives it
	if err != nil {
		t.Fatalf("the quick start failed: %v\n--- script\n%s\n--- output\n%s", err, script, out.String())
	}
	t.Logf("quick start output:\n%s", out.String())
	for _, want := range []string{"flamock init: wrote acme", `"trainings"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("quick start output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "acme", "traffic.jsonl")); err != nil {
		t.Errorf("journal: %v", err)
	}
	_ = io.Discard
}
