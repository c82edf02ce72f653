package mockfla_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/journal"
)

type brokenWriter struct{ fail bool }

func (w *brokenWriter) Write(b []byte) (int, error) {
	if w.fail {
		return 0, errors.New("input/output error")
	}
	return len(b), nil
}

// /__admin/health is DEGRADED while the journal file cannot be written,
// and UP again once it can.
func TestHealth_JournalFailing(t *testing.T) {
	w := &brokenWriter{fail: true}
	cfg := baseConfig()
	cfg.Journal = journal.New(journal.Config{Writer: w})
	s := newServer(t, cfg)
	do(t, s, "GET", seed, employerTok, "")
	h := string(do(t, s, "GET", "/__admin/health", "", "").body)
	if !strings.Contains(h, `"status":"DEGRADED"`) || !strings.Contains(h, `"journalError":"journal: input/output error"`) ||
		!strings.Contains(h, `"problems":["journal: input/output error"]`) || !strings.Contains(h, `"journalUnwritten":1`) {
		t.Fatalf("health while the journal fails: %s", h)
	}
	w.fail = false
	do(t, s, "GET", seed, employerTok, "")
	h = string(do(t, s, "GET", "/__admin/health", "", "").body)
	if !strings.Contains(h, `"status":"UP"`) || strings.Contains(h, "journalError") {
		t.Fatalf("health once the journal writes again: %s", h)
	}
}
