package conformance

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// VerifyConfig says what a passive verification knows beyond the journal.
// Every field is optional; each one given sharpens a rule.
type VerifyConfig struct {
	ClientID string            // only this client's token requests are judged; iss/sub must equal it
	TokenURL string            // the exact aud expected
	Scopes   []string          // the scopes the client may ask for
	Cert     *x509.Certificate // the client's registered certificate (certificate and alg rules)
	Options  Options
	Now      func() time.Time // default time.Now
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
func Verify(events []journal.Event, cfg VerifyConfig) *Report {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	start := now()
	var evs []journal.Event
	for _, ev := range events {
		if cfg.ClientID != "" && ev.Token != nil && ev.Token.ClientID != "" && ev.Token.ClientID != cfg.ClientID {
			continue
		}
		if cfg.ClientID != "" && ev.API != nil && ev.API.ClientID != "" && ev.API.ClientID != cfg.ClientID {
			continue
		}
		evs = append(evs, ev)
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
	outcomes := BuildReport(Judge(t), cfg.Cert, now(), cfg.Options, "the journal holds no traffic that decides it")
	for i, o := range outcomes {
		if !o.Rule.Passive && o.Rule.Area != AreaCertificate && !o.Ignored {
			outcomes[i].Reason = "cannot be judged from a journal; run flamock conform"
		}
	}
	rep := &Report{Tool: "flamock verify", Level: levelOf(cfg.Options), Started: start, Duration: now().Sub(start), Outcomes: outcomes}
	if len(evs) == 0 {
		rep.Notes = append(rep.Notes, "the journal holds no event for this client")
	}
	if len(evs) > 0 && evs[0].Seq > 1 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the journal starts at event %d: earlier traffic is not judged", evs[0].Seq))
	}
	return rep
}

func levelOf(o Options) Level {
	if o.Level == "" {
		return Should
	}
	return o.Level
}
