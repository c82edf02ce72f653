package main

import (
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
