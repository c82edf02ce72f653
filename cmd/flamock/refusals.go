package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/store"
)

// What serve says on stderr about the requests it answers.
const (
	reportRefusals = iota // default: one line per refused token request or API call
	reportQuiet           // -q: nothing
	reportAll             // -v: successes too
)

// reportRequests follows j and writes one human line per event that mode
// asks for to w, until the returned stop is called (stop waits until the
// lines of the events already appended are written). tokenPath is the
// path the token endpoint serves, for the line of a token request.
//
//	14:02:07.412 refused  POST /REST/oauth/v5/token  client self_service_chaman_403019_acme  400 invalid_client  check aud: aud is "…"; want exactly "…"
//	14:02:07.950 refused  PUT /REST/careerpro-fla/v1/employers/…/trainings  client self_service_chaman_403019_acme  403 missingPermission  check tenant: …
func reportRequests(w io.Writer, j store.Journal, mode int, tokenPath string) (stop func()) {
	if mode == reportQuiet || j == nil {
		return func() {}
	}
	var keep func(journal.Event) bool
	if mode != reportAll {
		keep = func(e journal.Event) bool { return !success(e) }
	}
	ch, missed, unsubscribe := follow(j, keep)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last uint64
		fill := func(before uint64) { // missed some (slow writer): fill the gap from memory
			for _, old := range j.Events(last) {
				if old.Seq >= before {
					break
				}
				writeRequestLine(w, old, mode, tokenPath)
			}
		}
		for e := range ch {
			if last != 0 && e.Seq > last+1 && (missed == nil || missed() > last) {
				fill(e.Seq)
			}
			writeRequestLine(w, e, mode, tokenPath)
			last = e.Seq
		}
		if missed != nil && last != 0 && missed() > last { // missed the last ones
			fill(missed() + 1)
		}
	}()
	return func() {
		unsubscribe()
		wg.Wait()
	}
}

// partFollower is a journal that sends a subscriber only the events it
// asks for (the embedded journal): serve's reporter is then neither woken
// for a success it does not print nor makes the journal settle its bodies.
type partFollower interface {
	SubscribeFunc(buffer int, keep func(journal.Event) bool) (<-chan journal.Event, func() uint64, func())
}

// follow subscribes to the events keep selects (nil: all) where j can
// select them; missed is nil where it cannot (every event is sent, and a
// gap in the sequence numbers is a missed event).
func follow(j store.Journal, keep func(journal.Event) bool) (ch <-chan journal.Event, missed func() uint64, stop func()) {
	if pf, ok := j.(partFollower); ok {
		return pf.SubscribeFunc(1024, keep)
	}
	ch, stop = j.Subscribe(1024)
	return ch, nil, stop
}

func writeRequestLine(w io.Writer, e journal.Event, mode int, tokenPath string) {
	if line, ok := requestLine(e, mode == reportAll, tokenPath); ok {
		io.WriteString(w, line+"\n")
	}
}

// requestLine is the line of one event, and whether it is written at all
// (successes only when all).
//
// A success that is not written costs nothing: the verdict is looked at
// before anything is formatted.
func requestLine(e journal.Event, all bool, tokenPath string) (string, bool) {
	if !all && success(e) {
		return "", false
	}
	ts := e.Time.Local().Format("15:04:05.000")
	switch {
	case e.Token != nil:
		t := e.Token
		method := t.Method
		if method == "" {
			method = "POST"
		}
		head := fmt.Sprintf("%s %-8s %s %s  client %s  %d", ts, verdictWord(t.Verdict), method, tokenPath, orNone(t.ClientID), t.Status)
		if t.Verdict == journal.VerdictGranted {
			return fmt.Sprintf("%s  token issued, expires_in %d s, scope %q", head, t.ExpiresIn, strings.Join(t.Scopes, " ")), true
		}
		check := t.Stage
		if check == "" {
			check = "?"
		}
		return scrub(fmt.Sprintf("%s %s  check %s: %s", head, t.Error, check, oneLine(t.Description))), true
	case e.API != nil:
		a := e.API
		head := fmt.Sprintf("%s %-8s %s %s  client %s  %d", ts, verdictWord(a.Verdict), a.Method, a.Path, orNone(a.ClientID), a.Status)
		if a.Verdict == journal.VerdictOK {
			return fmt.Sprintf("%s  %s (%.1f ms)", head, orNone(a.Operation), a.DurationMS), true
		}
		problem := a.ProblemType
		if i := strings.LastIndexAny(problem, "/:"); i >= 0 {
			problem = problem[i+1:]
		}
		check, reason := "", ""
		for _, l := range a.Layers {
			if l.Verdict != "pass" {
				check, reason = l.Name, l.Detail
				break
			}
		}
		switch {
		case a.Fault != "":
			check, reason = "fault", "planted by a test: "+a.Fault
		case check == "":
			check = "?"
		}
		if len(a.Issues) > 0 && a.Fault == "" { // the issues say more than a count
			reason = strings.Join(a.Issues, "; ")
		}
		return scrub(fmt.Sprintf("%s %s  check %s: %s", head, orNone(problem), check, oneLine(reason))), true
	}
	return "", false
}

// success reports whether e is a granted token request or an API call
// answered as asked.
func success(e journal.Event) bool {
	switch {
	case e.Token != nil:
		return e.Token.Verdict == journal.VerdictGranted
	case e.API != nil:
		return e.API.Verdict == journal.VerdictOK
	}
	return false
}

func verdictWord(v string) string {
	switch v {
	case journal.VerdictRefused, journal.VerdictRejected:
		return "refused"
	case journal.VerdictInjected:
		return "fault"
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// maxReason bounds the reason on a line; the journal has all of it.
const maxReason = 300

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReason {
		s = s[:maxReason] + "…"
	}
	return s
}

// jwtRE matches a compact JWS (an assertion or an access token).
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// scrub removes anything shaped like a token from a line, should a reason
// ever quote one: the lines go to terminals and CI logs.
func scrub(s string) string {
	return jwtRE.ReplaceAllString(s, "[token]")
}

func reportMode(quiet, verbose bool) int {
	switch {
	case quiet:
		return reportQuiet
	case verbose:
		return reportAll
	}
	return reportRefusals
}
