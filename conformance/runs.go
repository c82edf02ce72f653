package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunSummary is one scenario's verdict and, when they explain a failure or
// a rule nothing exercised, the client's error lines and the tail of its
// stderr.
type RunSummary struct {
	Scenario string        `json:"scenario"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"durationNs"`
	// Failed are the rules a finding of this scenario failed.
	Failed []string `json:"failed,omitempty"`
	// Unexercised are the rules it is built to exercise that got no
	// evidence in it.
	Unexercised []string `json:"unexercised,omitempty"`
	// Problem says why the scenario could not run or how the run broke
	// the contract (exit status, time limit).
	Problem string `json:"problem,omitempty"`
	// Errors are the client's result lines that reported an error
	// instead of a status ("id: error").
	Errors []string `json:"errors,omitempty"`
	// StderrTail is the last lines the client wrote on stderr.
	StderrTail []string `json:"stderrTail,omitempty"`
}

// stderrLines bounds the stderr tail a report shows per scenario.
const stderrLines = 15

// ProgressLine is the one line `flamock conform` prints as a scenario
// finishes: name, verdict, duration, and the failed rules.
func (r ScenarioRun) ProgressLine() string {
	s := fmt.Sprintf("%-20s %s  %6.2fs", r.Scenario.Name, r.Status(), r.Duration.Seconds())
	switch {
	case r.Err != nil:
		s += "  could not run: " + r.Err.Error()
	case len(r.FailedRules()) > 0:
		s += "  failed: " + strings.Join(r.FailedRules(), ", ")
	case len(r.Unexercised) > 0:
		s += fmt.Sprintf("  %d rule(s) it exercises got no evidence, e.g. %s", len(r.Unexercised), r.Unexercised[0])
	}
	if r.Trace != nil && r.Trace.Run != nil && r.Trace.Run.TimedOut {
		s += "  (killed at the time limit; its stderr ended:)"
		for _, l := range lastLines(r.Trace.Run.StderrTail, 5) {
			s += "\n      " + l
		}
	}
	return s
}

// summarizeRuns keeps, per scenario, the verdict and the client's words
// where they explain something: a failure in that scenario, or a MUST
// rule no scenario exercised while this one's client reported errors.
func summarizeRuns(runs []ScenarioRun, rep *Report) []RunSummary {
	unexercised := rep.Counts().MustUnjudged > 0
	rep.ClientNeverRan, rep.ClientStderr = neverRan(runs)
	if rep.ClientNeverRan != "" {
		dropStderrEvidence(rep)
	}
	var out []RunSummary
	for _, r := range runs {
		sum := RunSummary{Scenario: r.Scenario.Name, Status: r.Status(), Duration: r.Duration, Failed: r.FailedRules(), Unexercised: r.Unexercised}
		if r.Err != nil {
			sum.Problem = "could not run: " + r.Err.Error()
		}
		var run *Run
		if r.Trace != nil {
			run = r.Trace.Run
		}
		if run != nil {
			if len(run.Problems) > 0 {
				sum.Problem = run.Problems[0]
			}
			for _, res := range run.Results {
				if res.Error != "" {
					sum.Errors = append(sum.Errors, res.ID+": "+clip(res.Error, 300))
				}
			}
			explains := sum.Status != Pass || (unexercised && len(sum.Errors) > 0)
			if explains && run.StderrTail != "" && rep.ClientNeverRan == "" { // else shown once, for all
				sum.StderrTail = lastLines(run.StderrTail, stderrLines)
			}
			if !explains {
				sum.Errors = nil
			}
		}
		out = append(out, sum)
	}
	return out
}

// neverRan tells a client that did nothing in any scenario: it could not
// start, or exited before making a request or printing a result, in
// every scenario that ran. It says so once, with the stderr tail of the
// first such run, rather than once per scenario.
func neverRan(runs []ScenarioRun) (string, []string) {
	var first *Run
	exits := map[int]bool{}
	for _, r := range runs {
		if r.Err != nil {
			continue
		}
		if r.Trace == nil || r.Trace.Run == nil {
			return "", nil
		}
		run := r.Trace.Run
		if len(run.Results) > 0 || len(r.Trace.Events) > 0 || len(r.Trace.Exchanges) > 0 || r.Trace.TLS.Attempts > 0 || run.TimedOut {
			return "", nil
		}
		if first == nil {
			first = run
		}
		exits[run.ExitCode] = true
	}
	if first == nil {
		return "", nil
	}
	tail := lastLines(first.StderrTail, stderrLines)
	if strings.TrimSpace(first.StderrTail) == "" {
		tail = nil
	}
	var why string
	switch {
	case first.StartError != "":
		why = "the adapter could not start: " + first.StartError
	case first.ExitCode == 0 && len(exits) == 1:
		return "the adapter exited 0 in every scenario without making a request or printing a result", tail
	case len(tail) > 0:
		why = "the adapter did not start: " + clip(tail[len(tail)-1], 300)
	default:
		why = fmt.Sprintf("the adapter did not start: it exited with status %d and wrote nothing on stderr", first.ExitCode)
	}
	return why + " (in every scenario: no request, no result)", tail
}

// dropStderrEvidence cuts the stderr tail out of the findings' evidence,
// where the report already shows it once for the whole run.
func dropStderrEvidence(rep *Report) {
	for i := range rep.Outcomes {
		for j := range rep.Outcomes[i].Failures {
			f := &rep.Outcomes[i].Failures[j]
			if k := slices.Index(f.Evidence, "stderr (last lines):"); k >= 0 {
				f.Evidence = append(f.Evidence[:k:k], "stderr: shown once, above")
			}
		}
	}
}
