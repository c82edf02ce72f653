package conformance

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/stack"
)

// VerifyConfig says what a passive verification knows beyond the journal.
// Every field is optional; each one given sharpens a rule.
type VerifyConfig struct {
	ClientID string // only this client's token requests are judged; iss/sub must equal it
	TokenURL string // the exact aud expected
	// Scopes are the scopes the client may ask for; nil means those of
	// the client's quality as the token endpoint that recorded the journal
	// registered it (the scope is then judged by its verdict).
	Scopes []string
	Cert   *x509.Certificate // the client's registered certificate (certificate and alg rules)
	// API is the profile's model of the API the journal was recorded on:
	// a rule it cannot exercise (APIGaps) is a SKIP that says why. Nil:
	// unknown.
	API     *stack.API
	Options Options
	Now     func() time.Time // default time.Now
}

// ReadJournal reads a JSON-lines journal as `flamock serve --journal`
// writes it. Lines that are not events are reported, not fatal.
func ReadJournal(r io.Reader) ([]journal.Event, []string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var evs []journal.Event
	var bad []string
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var ev journal.Event
		if err := json.Unmarshal(line, &ev); err != nil || (ev.Token == nil && ev.API == nil) {
			if len(bad) < 10 {
				bad = append(bad, fmt.Sprintf("line %d is not a journal event: %s", n, clip(string(line), 120)))
			}
			continue
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		return evs, bad, fmt.Errorf("conformance: read journal: %w", err)
	}
	return evs, bad, nil
}

// Verify judges recorded traffic: every rule the journal can decide. The
// rules it cannot (those needing the scenarios, or traffic the journal does
// not hold) are SKIP with the reason.
//
// With a ClientID, only that client's traffic is judged, attributed by
// what identifies the client: a token request by its assertion's iss or
// sub (by its client_id form field only when the assertion could not be
// read), an API call by the access token it presented (the fingerprint of
// a token granted to the client, or the client the API mock verified it
// for). The other events are left out: another client's are counted, the
// rest (no token, or a token the journal cannot tie to any client) is
// listed in Report.Unattributed.
//
// Verify never panics on its input: an event that is neither a token
// request nor an API call (as ReadJournal would not return) is skipped
// and named in Report.Notes, never judged, like a journal line that is not
// an event. It is not an error: the rest of the traffic is still judged,
// and the report says what it left out.
func Verify(events []journal.Event, cfg VerifyConfig) *Report {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	start := now()
	events, notEvents := judgeable(events)
	evs, others, unattributed := events, 0, []journal.Event(nil)
	if cfg.ClientID != "" {
		evs, others, unattributed = attribute(events, cfg.ClientID)
	}
	passive := map[string]bool{}
	for _, r := range catalogue {
		if r.Passive {
			passive[r.ID] = true
		}
	}
	// The journal's own layers decide schema, identifiers and tenant; a
	// vendor's test that sends bad data on purpose can --skip them.
	t := &Trace{Scenario: "", Events: evs, Expect: Expect{
		ClientID: cfg.ClientID, TokenURL: cfg.TokenURL, Scopes: cfg.Scopes, Cert: cfg.Cert, Rules: passive,
	}}
	findings, took := judgeTimed(t)
	outcomes := BuildReport(findings, cfg.Cert, now(), cfg.Options, "the journal holds no traffic that decides it")
	gaps := APIGaps(cfg.API)
	for i, o := range outcomes {
		if d, ok := took[o.Rule.ID]; ok {
			outcomes[i].Duration = d
		}
		if why, ok := gaps[o.Rule.ID]; ok && o.Status == Skip && !o.Ignored {
			outcomes[i].Reason, outcomes[i].NotApplicable = "not exercised on this API: "+why, true
			continue
		}
		if !o.Rule.Passive && o.Rule.Area != AreaCertificate && !o.Ignored {
			outcomes[i].Reason = "cannot be judged from a journal; run flamock conform"
			outcomes[i].NeedsConform = true
		}
	}
	rep := &Report{Tool: "flamock verify", Level: levelOf(cfg.Options), Started: start, Duration: now().Sub(start), Outcomes: outcomes, JournalOnly: true}
	if notEvents != "" {
		rep.Notes = append(rep.Notes, notEvents)
	}
	switch {
	case len(events) == 0 && notEvents == "":
		rep.Notes = append(rep.Notes, "the journal holds no event")
	case len(evs) == 0 && cfg.ClientID != "":
		rep.Notes = append(rep.Notes, fmt.Sprintf("the journal holds no event of client %q", cfg.ClientID))
	}
	if others > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d event(s) of other clients left out", others))
	}
	for i, ev := range unattributed {
		if i == maxUnattributed {
			rep.Unattributed = append(rep.Unattributed, fmt.Sprintf("… and %d more", len(unattributed)-i))
			break
		}
		rep.Unattributed = append(rep.Unattributed, eventLine(t, ev))
	}
	if len(evs) > 0 && evs[0].Seq > 1 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the journal starts at event %d: earlier traffic is not judged", evs[0].Seq))
	}
	return rep
}

// judgeable returns the events that are a token request or an API call
// (events itself when all are) and a note naming the others, "" for none.
func judgeable(events []journal.Event) ([]journal.Event, string) {
	var keep []journal.Event
	var skipped []string
	n := 0
	for i, ev := range events {
		if ev.Token != nil || ev.API != nil {
			if keep != nil {
				keep = append(keep, ev)
			}
			continue
		}
		if keep == nil {
			keep = append(make([]journal.Event, 0, len(events)-1), events[:i]...)
		}
		if n++; n <= maxSkippedNamed {
			skipped = append(skipped, fmt.Sprintf("%d (seq %d)", i+1, ev.Seq))
		}
	}
	if n == 0 {
		return events, ""
	}
	if n > maxSkippedNamed {
		skipped = append(skipped, fmt.Sprintf("… and %d more", n-maxSkippedNamed))
	}
	return keep, fmt.Sprintf("%d event(s) neither a token request nor an API call, not judged: event %s", n, strings.Join(skipped, ", "))
}

// maxSkippedNamed bounds the skipped events a report's note names.
const maxSkippedNamed = 10

// maxUnattributed bounds the unattributed events a report lists.
const maxUnattributed = 100

// attribute splits a journal into the events of client id, the number of
// events of other clients, and the events no client can be tied to.
func attribute(events []journal.Event, id string) (mine []journal.Event, others int, unattributed []journal.Event) {
	owner := map[string]string{} // token fingerprint -> client it was granted to
	tokenOwner := func(tk *journal.Token) string {
		if tk.Claims != nil {
			iss, _ := tk.Claims["iss"].(string)
			sub, _ := tk.Claims["sub"].(string)
			switch {
			case iss == id || sub == id:
				return id
			case sub != "":
				return sub
			case iss != "":
				return iss
			}
		}
		return tk.ClientID // the client_id form field, when the assertion could not be read
	}
	for _, ev := range events {
		if tk := ev.Token; tk != nil && tk.Fingerprint != "" && tk.Verdict == journal.VerdictGranted {
			owner[tk.Fingerprint] = tokenOwner(tk)
		}
	}
	for _, ev := range events {
		who := ""
		switch {
		case ev.Token != nil:
			who = tokenOwner(ev.Token)
		case ev.API != nil:
			who = owner[ev.API.Fingerprint]
			if who == "" || ev.API.Fingerprint == "" {
				who = ev.API.ClientID // the client the API mock verified the token for
			}
		}
		switch who {
		case id:
			mine = append(mine, ev)
		case "":
			unattributed = append(unattributed, ev)
		default:
			others++
		}
	}
	return mine, others, unattributed
}

// eventLine renders one event as the first line of its evidence.
func eventLine(t *Trace, ev journal.Event) string {
	if ev.Token != nil {
		return tokenEvidence(t, ev)[0]
	}
	return apiEvidence(call{ev: ev, x: t.exchange(ev.Seq)})[0]
}

func levelOf(o Options) Level {
	if o.Level == "" {
		return Should
	}
	return o.Level
}
