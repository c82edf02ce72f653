package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// verify reads the admin API's journal page as it reads a journal file;
// a page whose server had forgotten older events says so on stderr.
func TestVerify_JournalPage(t *testing.T) {
	dir := t.TempDir()
	event := `{"seq":7,"time":"2026-12-02T10:00:00Z","kind":"api","api":{"method":"GET","path":"/REST/careerpro-fla/v1/employers/403019261/calendarYears/2023/optOut","status":401,"clientId":""}}`
	page := filepath.Join(dir, "page.json")
	os.WriteFile(page, []byte(`{"dropped":3,"events":[`+event+`],"last":7}`), 0o644)
	lines := filepath.Join(dir, "journal.jsonl")
	os.WriteFile(lines, []byte(event+"\n"), 0o644)
	_, fromPage, errPage := flamock(t, "verify", page)
	_, fromLines, errLines := flamock(t, "verify", lines)
	if fromPage != fromLines || errLines != "" {
		t.Errorf("verify of the page:\n%s\nof the same event as a line:\n%s\n(stderr %q)", fromPage, fromLines, errLines)
	}
	if want := "flamock verify: " + page + ": the server's journal had forgotten 3 older events (it keeps a bounded number): judging the rest\n"; errPage != want {
		t.Errorf("stderr of verify of the page = %q; want %q", errPage, want)
	}
	// An event that is neither a token request nor an API call is skipped
	// and reported, as a journal file's line is (Verify panicked on it).
	empty := filepath.Join(dir, "empty-event.json")
	os.WriteFile(empty, []byte(`{"events":[{"seq":1},`+event+`,{"seq":9,"kind":"api"}],"last":9}`), 0o644)
	_, fromEmpty, errEmpty := flamock(t, "verify", "--client-id", "c", empty)
	_, fromLinesC, _ := flamock(t, "verify", "--client-id", "c", lines)
	if want := "flamock verify: " + empty + ": event 1 of the page is not a journal event (neither a token request nor an API call)\n" +
		"flamock verify: " + empty + ": event 3 of the page is not a journal event (neither a token request nor an API call)\n"; errEmpty != want {
		t.Errorf("stderr of verify of a page with two empty events = %q; want %q", errEmpty, want)
	}
	if fromEmpty != fromLinesC {
		t.Errorf("verify --client-id c of the page with empty events:\n%s\nof its one event as a line:\n%s", fromEmpty, fromLinesC)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"events":5}`), 0o644)
	_, _, errBad := flamock(t, "verify", bad)
	if want := "flamock verify: " + bad + `: line 1 is not a journal event: {"events":5}`; !strings.HasPrefix(errBad, want) {
		t.Errorf("stderr of verify of a page whose events are no list = %q; want it to start %q", errBad, want)
	}
}
