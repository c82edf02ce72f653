package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// contractRules judge the adapter against CONTRACT.md.
var contractRules = []Rule{
	{RunExit, Must, AreaContract, "The adapter runs within the contract", "CONTRACT.md",
		"exit status 0 within the time limit, only JSON result lines on stdout, one per operation", false, judgeExit},
	{RunResult, Must, AreaContract, "Each result reports what the server answered", "CONTRACT.md",
		"the status of each result is the status of the server's last answer to that operation; an error when there was none", false, judgeResults},
}

// ---- results

// opCalls maps each operation to its sequence of calls, in order. An
// operation whose path the client changed takes the first unmatched
// sequence between its neighbours'.
func (t *Trace) opCalls() map[string]*sequence {
	seqs := t.sequences()
	out := map[string]*sequence{}
	at := make([]int, len(t.Ops))
	used := map[int]bool{}
	ptr := 0
	for i, op := range t.Ops {
		at[i] = -1
		want := t.Expect.APIBasePath + op.Path
		for j := ptr; j < len(seqs); j++ {
			if seqs[j].method() == op.Method && seqs[j].path() == want {
				at[i], ptr, used[j] = j, j+1, true
				out[op.ID] = seqs[j]
				break
			}
		}
	}
	for i, op := range t.Ops {
		if at[i] >= 0 {
			continue
		}
		lo, hi := -1, len(seqs)
		for k := i - 1; k >= 0; k-- {
			if at[k] >= 0 {
				lo = at[k]
				break
			}
		}
		for k := i + 1; k < len(t.Ops); k++ {
			if at[k] >= 0 {
				hi = at[k]
				break
			}
		}
		for j := lo + 1; j < hi; j++ {
			if !used[j] {
				used[j], at[i] = true, j
				out[op.ID] = seqs[j]
				break
			}
		}
	}
	return out
}

// endsOnTokenRefusal says the operation ended with a refused token request
// after its last call (a renewal that failed): the client then reports the
// token error, not the API's answer.
func (s *sequence) endsOnTokenRefusal() bool {
	toks := s.tokens[len(s.tokens)-1]
	return len(toks) > 0 && toks[len(toks)-1].Token.Verdict != journal.VerdictGranted
}

func (t *Trace) results() map[string]Result {
	if t.Run == nil {
		return nil
	}
	m, _ := matchResults(t.Ops, t.Run.Results)
	return m
}

func compactResult(r Result) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func judgeResults(t *Trace) []Finding {
	results := t.results()
	if results == nil {
		return nil
	}
	var out []Finding
	calls := t.opCalls()
	for _, op := range t.Ops {
		r, ok := results[op.ID]
		if !ok {
			continue // RUN-EXIT-01 reports the missing result
		}
		s := calls[op.ID]
		switch {
		case s == nil && r.Status != 0:
			out = append(out, fail(fmt.Sprintf("operation %s: the result says status %d, but no call for it reached the API", op.ID, r.Status), "result: "+clip(compactResult(r), 300)))
		case s == nil:
			out = append(out, pass(fmt.Sprintf("operation %s: error reported, no call reached the API", op.ID)))
		case r.Status == 0 && s.endsOnTokenRefusal():
			out = append(out, pass(fmt.Sprintf("operation %s: the refused token renewal reported", op.ID)))
		case s.last().api().Status == 0:
			if r.Status != 0 {
				out = append(out, fail(fmt.Sprintf("operation %s: the connection was dropped, but the result says status %d", op.ID, r.Status), apiEvidence(s.last())...))
			} else {
				out = append(out, pass(fmt.Sprintf("operation %s: error reported for a dropped connection", op.ID)))
			}
		case r.Status != s.last().api().Status:
			ev := append(apiEvidence(s.last()), "result: "+clip(compactResult(r), 300))
			out = append(out, fail(fmt.Sprintf("operation %s: the result says %s, the API's last answer was %d", op.ID, resultSays(r), s.last().api().Status), ev...))
		default:
			out = append(out, pass(fmt.Sprintf("operation %s: status %d reported", op.ID, r.Status)))
		}
	}
	return out
}

func resultSays(r Result) string {
	if r.Status == 0 {
		return "error " + strconvQuote(clip(r.Error, 100))
	}
	return fmt.Sprintf("status %d", r.Status)
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func judgeExit(t *Trace) []Finding {
	if t.Run == nil {
		return nil
	}
	problems := slices.Clone(t.Run.Problems)
	_, missing := matchResults(t.Ops, t.Run.Results)
	problems = append(problems, missing...)
	if len(problems) == 0 {
		return []Finding{pass(fmt.Sprintf("exit 0 in %s, %d results", t.Run.Duration.Round(time.Millisecond), len(t.Run.Results)))}
	}
	ev := slices.Clone(problems)
	if t.Run.StderrTail != "" {
		ev = append(ev, "stderr (last lines):")
		for _, l := range lastLines(t.Run.StderrTail, 15) {
			ev = append(ev, "  "+l)
		}
	}
	return []Finding{fail(problems[0], ev...)}
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
