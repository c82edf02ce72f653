package main

import (
	"os"
	"strings"
	"testing"
)

// verify takes a JOURNAL file or --store, never both and never neither;
// a store URL no backend knows is refused naming the known ones.
func TestVerify_StoreFlagErrors(t *testing.T) {
	code, _, stderr := flamock(t, "verify", "--store", "postgres://127.0.0.1:1/x", "journal.jsonl")
	if code != 2 || !strings.Contains(stderr, "want a JOURNAL file or --store, not both") {
		t.Errorf("both: exit %d, %s", code, stderr)
	}
	code, _, stderr = flamock(t, "verify")
	if code != 2 || !strings.Contains(stderr, "want exactly one JOURNAL file (or - for stdin), or --store URL") {
		t.Errorf("neither: exit %d, %s", code, stderr)
	}
	code, _, stderr = flamock(t, "verify", "--store", "mysql://db/x")
	if code != 1 || !strings.Contains(stderr, `--store: no backend for "mysql" URLs (known: [postgres postgresql])`) {
		t.Errorf("unknown scheme: exit %d, %s", code, stderr)
	}
	code, _, stderr = flamock(t, "verify", "--store", "postgres://flamock:secret@127.0.0.1:1/x?connect_timeout=1")
	if code != 1 || !strings.Contains(stderr, "--store: PostgreSQL store at postgres://flamock:xxxxx@127.0.0.1:1/x") || strings.Contains(stderr, "secret") {
		t.Errorf("unreachable: exit %d, %s", code, stderr)
	}
}

// serve --store refuses what a shared store cannot honour, before it
// connects, and a database it cannot reach, naming it without its password.
func TestServe_StoreErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := flamock(t, "serve", "--addr", "127.0.0.1:0", "--store", "postgres://127.0.0.1:1/x",
		"--state", dir+"/state.log", "--journal", dir+"/journal.jsonl")
	for _, want := range []string{
		"--state and --store exclude each other: with --store the database keeps the resources",
		"--journal and --store exclude each other: with --store the journal is in the database (flamock verify --store reads it)",
	} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("serve --store --state --journal: exit %d, want %q in\n%s", code, want, stderr)
		}
	}
	cfg := dir + "/flamock.yaml"
	if err := os.WriteFile(cfg, []byte("store: postgres://flamock:secret@127.0.0.1:1/x?connect_timeout=1\noauth:\n  accessTokens: opaque\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = flamock(t, "serve", "--addr", "127.0.0.1:0", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "oauth.accessTokens: opaque access tokens are remembered by the replica that issued them; with --store use jwt (the default)") {
		t.Errorf("store: with opaque tokens: exit %d\n%s", code, stderr)
	}
	os.WriteFile(cfg, []byte("store: postgres://flamock:secret@127.0.0.1:1/x?connect_timeout=1\n"), 0o644)
	code, _, stderr = flamock(t, "serve", "--addr", "127.0.0.1:0", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "--store: PostgreSQL store at postgres://flamock:xxxxx@127.0.0.1:1/x") || strings.Contains(stderr, "secret") {
		t.Errorf("store: unreachable: exit %d\n%s", code, stderr)
	}
}
