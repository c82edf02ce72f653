package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

var demoDirRE = regexp.MustCompile(`certificates and keys in (\S+);`)

// stop sends SIGINT and waits for a clean exit.
func (p *servedProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("flamock serve did not stop within 10 s of SIGINT\n%s", p.stderr)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("flamock serve exited %d after SIGINT\n%s", code, p.stderr)
	}
}

func TestDemoFolderRemovedOnExit(t *testing.T) {
	p := startServe(t)
	m := demoDirRE.FindStringSubmatch(p.banner)
	if m == nil {
		t.Fatalf("no demo folder in the banner:\n%s", p.banner)
	}
	if _, err := os.Stat(filepath.Join(m[1], "employer.p12")); err != nil {
		t.Fatalf("demo key: %v", err)
	}
	p.stop(t)
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the temporary demo folder %s is still there after exit: %v", m[1], err)
		os.RemoveAll(m[1])
	}

	// A folder the user named is kept.
	dir := filepath.Join(t.TempDir(), "demo")
	p = startServe(t, "--demo-dir", dir)
	p.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "employer.p12")); err != nil {
		t.Errorf("--demo-dir %s was not kept: %v", dir, err)
	}
}

func TestFailedStartLeavesNoJournal(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "flamock.yaml")
	os.WriteFile(cfg, []byte("journal: traffic.jsonl\nclients:\n  - id: a\n    certificates: [missing.cer]\n"), 0o644)
	code, _, errOut := flamock(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	if code != 1 || errOut == "" {
		t.Fatalf("serve with a missing certificate: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "traffic.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed start left the journal file behind: %v", err)
	}
}

// syncBuffer is a bytes.Buffer that a process's output copier writes while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
