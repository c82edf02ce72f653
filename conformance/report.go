package conformance

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
)

// Status is the verdict on one rule.
type Status string

// Verdicts.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Outcome is the verdict on one rule with its reason and evidence.
type Outcome struct {
	Rule   Rule   `json:"rule"`
	Status Status `json:"status"`
	// Reason explains a SKIP (not applicable, skipped on request, no
	// evidence) or summarises a PASS.
	Reason string `json:"reason,omitempty"`
	// NotApplicable marks a SKIP that does not count against the client
	// (an EC rule for an RSA key), unlike a rule nothing exercised.
	NotApplicable bool `json:"notApplicable,omitempty"`
	// Ignored marks a rule left out by --skip or --level.
	Ignored bool `json:"ignored,omitempty"`
	// Failures are the failed findings (at most maxFailures).
	Failures []Finding `json:"failures,omitempty"`
	// Judged counts the findings, passed and failed.
	Judged int `json:"judged"`
	// NeedsConform marks a SKIP of flamock verify: the rule cannot be
	// judged from a journal.
	NeedsConform bool `json:"needsConform,omitempty"`
	// Duration is the time spent deciding the rule: the time its judge
	// took on every scenario's evidence (conform) or on the journal
	// (verify), or the certificate checks. It is not the time of the
	// scenarios, which run in parallel and exercise several rules.
	Duration time.Duration `json:"durationNs"`
}

const maxFailures = 5

// maxUnattributedShown bounds the unattributed events the text report lists.
const maxUnattributedShown = 20

// Report is the verdict on a client.
type Report struct {
	Tool      string        `json:"tool"` // "flamock conform" or "flamock verify"
	Client    string        `json:"client,omitempty"`
	Level     Level         `json:"level"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"durationNs"`
	Scenarios []string      `json:"scenarios,omitempty"`
	Outcomes  []Outcome     `json:"outcomes"`
	// Notes are remarks about the run as a whole (events the journal
	// dropped, a scenario that could not be set up).
	Notes []string `json:"notes,omitempty"`
	// JournalOnly says the report judged a journal (flamock verify): its
	// verdict covers the rules a journal can decide.
	JournalOnly bool `json:"journalOnly,omitempty"`
	// Runs are the scenarios' verdicts (conform), with what the client
	// said where it explains a failure or a rule left unexercised.
	Runs []RunSummary `json:"runs,omitempty"`
	// Unattributed lists the journal's events that verify --client-id
	// could tie to no client (no token, or a token of no known client):
	// not judged.
	Unattributed []string `json:"unattributed,omitempty"`
	// Reference, when set, says the client judged is one of flamock's own
	// reference adapters, unmodified (see DetectReference): the report
	// says so first and last.
	Reference string `json:"reference,omitempty"`
	// ClientNeverRan says, once, that the client did nothing in any
	// scenario (could not start, crashed at once), with its stderr tail.
	ClientNeverRan string   `json:"clientNeverRan,omitempty"`
	ClientStderr   []string `json:"clientStderr,omitempty"`
	// Subset marks a run of some scenarios only (--scenario): its verdict
	// is not a conformance verdict.
	Subset bool `json:"subset,omitempty"`
}

// ReferenceNote is the line a report of a reference client starts and
// ends with.
func (r *Report) ReferenceNote() string {
	if r.Reference == "" {
		return ""
	}
	return "this run judged flamock's reference client (" + r.Reference + "), not yours"
}

// Options select the rules a report holds.
type Options struct {
	// Level "must" judges only MUST rules; "" or "should" judges all.
	Level Level
	// Skip lists rule ids to leave out.
	Skip []string
}

func (o Options) ignored(r Rule) string {
	if slices.Contains(o.Skip, r.ID) {
		return "skipped on request (--skip)"
	}
	if o.Level == Must && r.Level != Must {
		return "SHOULD rule left out (--level must)"
	}
	return ""
}

// BuildReport aggregates findings into one outcome per rule of the
// catalogue. A rule fails when any finding failed, passes when at least
// one passed and none failed, and is skipped otherwise; noEvidence says
// why in that case.
func BuildReport(findings []Finding, cert *x509.Certificate, now time.Time, opts Options, noEvidence string) []Outcome {
	byRule := map[string][]Finding{}
	for _, f := range findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	certResults := map[string]certgen.Result{}
	var certTime time.Duration
	if cert != nil {
		t0 := time.Now()
		for _, r := range certgen.DefaultPolicy().Evaluate(cert, now) {
			certResults[r.Rule] = r
		}
		certTime = time.Since(t0)
	}
	var out []Outcome
	for _, r := range catalogue {
		o := Outcome{Rule: r}
		if why := opts.ignored(r); why != "" {
			o.Status, o.Reason, o.Ignored = Skip, why, true
			out = append(out, o)
			continue
		}
		if r.Area == AreaCertificate {
			o.Duration = certTime
			out = append(out, certOutcome(o, cert, certResults))
			continue
		}
		fs := byRule[r.ID]
		o.Judged = len(fs)
		var passed, failed []Finding
		for _, f := range fs {
			if f.Pass {
				passed = append(passed, f)
			} else {
				failed = append(failed, f)
			}
		}
		groups := mergeFailures(failed)
		o.Failures = groups[:min(len(groups), maxFailures)]
		switch {
		case len(failed) > 0:
			o.Status = Fail
			if len(groups) > len(o.Failures) {
				o.Reason = fmt.Sprintf("%d different failures, the first %d shown", len(groups), len(o.Failures))
			}
		case len(passed) > 0:
			o.Status, o.Reason = Pass, summarise(passed)
		default:
			o.Status, o.Reason = Skip, noEvidence
		}
		out = append(out, o)
	}
	return out
}

func summarise(fs []Finding) string {
	scen := map[string]bool{}
	for _, f := range fs {
		if f.Scenario != "" {
			scen[f.Scenario] = true
		}
	}
	s := fmt.Sprintf("%d check(s)", len(fs))
	if len(scen) > 0 {
		names := make([]string, 0, len(scen))
		for n := range scen {
			names = append(names, n)
		}
		slices.Sort(names)
		s += " in " + strings.Join(names, ", ")
	}
	var msgs []string
	for _, f := range fs {
		if !slices.Contains(msgs, f.Message) {
			msgs = append(msgs, f.Message)
		}
	}
	if len(msgs) <= 2 {
		s += ": " + strings.Join(msgs, "; ")
	}
	return s
}

func certOutcome(o Outcome, cert *x509.Certificate, results map[string]certgen.Result) Outcome {
	if cert == nil {
		o.Status, o.Reason = Skip, "no certificate given"
		return o
	}
	res, ok := results[o.Rule.ID]
	if !ok {
		o.Status, o.Reason, o.NotApplicable = Skip, "not applicable to a "+certgen.DescribeKey(cert.PublicKey)+" key", true
		return o
	}
	o.Judged = 1
	if res.Pass {
		o.Status, o.Reason = Pass, res.Found
		return o
	}
	o.Status = Fail
	o.Failures = []Finding{{Rule: o.Rule.ID, Message: fmt.Sprintf("%s: found %s; allowed %s", res.Title, res.Found, res.Allowed),
		Evidence: []string{fmt.Sprintf("certificate CN %q, x5t %s", cert.Subject.CommonName, certgen.ThumbprintsOf(cert).X5T)}}}
	return o
}

// Counts summarises a report.
type Counts struct {
	Pass, Fail, Skip, MustFail, MustUnjudged int
	// NeedConform counts the rules a journal cannot decide (verify).
	NeedConform int
}

// Counts counts the outcomes.
func (r *Report) Counts() Counts {
	var c Counts
	for _, o := range r.Outcomes {
		switch o.Status {
		case Pass:
			c.Pass++
		case Fail:
			c.Fail++
			if o.Rule.Level == Must {
				c.MustFail++
			}
		case Skip:
			c.Skip++
			if o.NeedsConform {
				c.NeedConform++
			}
			if o.Rule.Level == Must && !o.NotApplicable && !o.Ignored && !o.NeedsConform {
				c.MustUnjudged++
			}
		}
	}
	return c
}

// OK reports whether every MUST rule that was not left out passed (or does
// not apply): what `flamock conform` exits 0 on. For a journal (verify),
// whether no MUST rule failed: a journal decides only some rules.
func (r *Report) OK() bool {
	c := r.Counts()
	if r.JournalOnly {
		return c.MustFail == 0
	}
	return c.MustFail == 0 && c.MustUnjudged == 0
}

// Verdict is the report's last line.
func (r *Report) Verdict() string {
	c := r.Counts()
	if r.JournalOnly {
		s := fmt.Sprintf("judged %d rules: ", c.Pass+c.Fail)
		if c.MustFail == 0 {
			s += "all MUST passed"
		} else {
			s += fmt.Sprintf("%d MUST failed", c.MustFail)
		}
		if other := c.Skip - c.NeedConform; other > 0 {
			s += fmt.Sprintf("; %d skipped", other)
		}
		s += fmt.Sprintf("; %d need `flamock conform`", c.NeedConform)
		if c.MustFail > 0 {
			s += ": NOT CONFORMANT"
		}
		return s
	}
	s := fmt.Sprintf("%d passed, %d failed (%d MUST), %d skipped", c.Pass, c.Fail, c.MustFail, c.Skip)
	if r.Subset {
		s = fmt.Sprintf("judged %d of %d rules (%d passed, %d failed)", c.Pass+c.Fail, len(r.Outcomes), c.Pass, c.Fail)
		if c.MustFail > 0 {
			return s + fmt.Sprintf(", %d MUST: NOT CONFORMANT", c.MustFail)
		}
		return s + "; not a conformance verdict"
	}
	if c.MustUnjudged > 0 {
		s += fmt.Sprintf(" (%d MUST rules not exercised)", c.MustUnjudged)
	}
	if r.OK() {
		return s + ": every MUST rule passed"
	}
	return s + ": NOT CONFORMANT"
}

// Failed returns the ids of the failed rules, in catalogue order.
func (r *Report) Failed() []string {
	var out []string
	for _, o := range r.Outcomes {
		if o.Status == Fail {
			out = append(out, o.Rule.ID)
		}
	}
	return out
}

// Outcome returns the outcome of one rule.
func (r *Report) Outcome(id string) (Outcome, bool) {
	for _, o := range r.Outcomes {
		if o.Rule.ID == id {
			return o, true
		}
	}
	return Outcome{}, false
}

// WriteText writes the human report: the failures first, with their
// evidence and source, then one line per other rule, the scenarios and
// the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.Tool)
	if r.Client != "" {
		fmt.Fprintf(&b, " --client %q", r.Client)
	}
	fmt.Fprintf(&b, "\n")
	if note := r.ReferenceNote(); note != "" {
		fmt.Fprintf(&b, "NOTE: %s\n", note)
	}
	if len(r.Scenarios) > 0 {
		fmt.Fprintf(&b, "%d scenarios in %s: %s\n", len(r.Scenarios), r.Duration.Round(time.Millisecond), strings.Join(r.Scenarios, ", "))
	}
	if r.ClientNeverRan != "" {
		fmt.Fprintf(&b, "\n%s\n", r.ClientNeverRan)
		writeLines(&b, "  stderr (last lines):", "    ", r.ClientStderr)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	var failed []Outcome
	for _, o := range r.Outcomes {
		if o.Status == Fail {
			failed = append(failed, o)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\nfailed\n")
		for _, o := range failed {
			writeFailure(&b, o)
		}
	}
	area := ""
	for _, o := range r.Outcomes {
		if o.Status == Fail {
			continue
		}
		if o.Rule.Area != area {
			area = o.Rule.Area
			fmt.Fprintf(&b, "\n%s\n", area)
		}
		fmt.Fprintf(&b, "  %-4s  %-17s %-6s %s", o.Status, o.Rule.ID, o.Rule.Level, o.Rule.Title)
		if o.Status == Skip && o.Reason != "" {
			fmt.Fprintf(&b, " (%s)", o.Reason)
		}
		b.WriteString("\n")
	}
	writeRuns(&b, r.Runs)
	if len(r.Unattributed) > 0 {
		fmt.Fprintf(&b, "\nunattributed traffic, not judged (%d event(s): no token or assertion of this client):\n", len(r.Unattributed))
		for i, l := range r.Unattributed {
			if i == maxUnattributedShown {
				fmt.Fprintf(&b, "  … and %d more\n", len(r.Unattributed)-i)
				break
			}
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if note := r.ReferenceNote(); note != "" {
		fmt.Fprintf(&b, "\nNOTE: %s\n", note)
	}
	fmt.Fprintf(&b, "\n%s\n", r.Verdict())
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFailure writes a failed rule with its source, check and evidence.
func writeFailure(b *strings.Builder, o Outcome) {
	fmt.Fprintf(b, "  %-4s  %-17s %-6s %s\n", o.Status, o.Rule.ID, o.Rule.Level, o.Rule.Title)
	fmt.Fprintf(b, "        source: %s\n", o.Rule.Source)
	fmt.Fprintf(b, "        checks: %s\n", o.Rule.Check)
	if o.Reason != "" {
		fmt.Fprintf(b, "        (%s)\n", o.Reason)
	}
	for _, f := range o.Failures {
		fmt.Fprintf(b, "        - %s\n", f.Heading())
		for _, e := range f.Evidence {
			fmt.Fprintf(b, "            %s\n", e)
		}
	}
}

// Heading is a failure's first line: its scenarios, message and count.
func (f Finding) Heading() string {
	s := f.Message
	if f.Scenario != "" {
		s = "[" + f.Scenario + "] " + s
	}
	if f.Count > 1 {
		s += fmt.Sprintf(" (×%d)", f.Count)
	}
	return s
}

func writeLines(b *strings.Builder, title, indent string, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString(title + "\n")
	for _, l := range lines {
		b.WriteString(indent + l + "\n")
	}
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		OK     bool   `json:"ok"`
		Counts Counts `json:"counts"`
	}{r, r.OK(), r.Counts()})
}

// writeRuns writes one line per scenario, failed ones first, and under it
// what the client said where that explains a failure or an unexercised rule.
func writeRuns(b *strings.Builder, runs []RunSummary) {
	if len(runs) == 0 {
		return
	}
	b.WriteString("\nscenarios\n")
	for _, s := range failuresFirst(runs) {
		fmt.Fprintf(b, "  %-4s  %-20s %6.2fs", s.Status, s.Scenario, s.Duration.Seconds())
		switch {
		case len(s.Failed) > 0:
			fmt.Fprintf(b, "  failed: %s", strings.Join(s.Failed, ", "))
		case len(s.Unexercised) > 0:
			fmt.Fprintf(b, "  no evidence for: %s", strings.Join(s.Unexercised, ", "))
		}
		b.WriteString("\n")
		if s.Problem != "" {
			fmt.Fprintf(b, "        %s\n", s.Problem)
		}
		writeLines(b, "        the client's error lines:", "          ", s.Errors)
		writeLines(b, "        stderr (last lines):", "          ", s.StderrTail)
	}
}

// failuresFirst orders scenario verdicts FAIL, SKIP, PASS, each in the
// order they ran.
func failuresFirst(runs []RunSummary) []RunSummary {
	rank := map[Status]int{Fail: 0, Skip: 1, Pass: 2}
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b RunSummary) int { return rank[a.Status] - rank[b.Status] })
	return out
}
