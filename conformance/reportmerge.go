package conformance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// evidenceStamp is the "#12 13:52:15.386 " that starts a line of evidence
// about one request: it differs between repetitions of the same failure.
var evidenceStamp = regexp.MustCompile(`^#\d+ \d\d:\d\d:\d\d\.\d+ `)

// mergeFailures shows a failure repeated with the same message and the
// same evidence (but for sequence numbers and times) once, with the
// scenarios it happened in and its count, in the order first seen; and
// each finding's evidence compacted (compactEvidence).
func mergeFailures(fs []Finding) []Finding {
	var out []Finding
	index := map[string]int{}
	for _, f := range fs {
		var key strings.Builder
		key.WriteString(f.Message)
		for _, e := range f.Evidence {
			key.WriteString("\n" + evidenceStamp.ReplaceAllString(e, "#"))
		}
		i, ok := index[key.String()]
		if !ok {
			index[key.String()] = len(out)
			f.Evidence, f.Count = compactEvidence(f.Message, f.Evidence), 1
			out = append(out, f)
			continue
		}
		g := &out[i]
		g.Count++
		if f.Scenario != "" && !slices.Contains(strings.Split(g.Scenario, ", "), f.Scenario) {
			g.Scenario += ", " + f.Scenario
		}
	}
	for i := range out {
		if out[i].Count == 1 {
			out[i].Count = 0
		}
	}
	return out
}

// compactEvidence drops a line that only repeats the message, shows a
// request's details once when a later request got the very same answer
// ("the same lines as #N"), and a line repeated in a row once with its count.
func compactEvidence(msg string, ev []string) []string {
	type block struct {
		head   string
		detail []string
	}
	var blocks []block
	for _, e := range ev {
		if e == msg {
			continue
		}
		if len(blocks) == 0 || !strings.HasPrefix(e, "  ") {
			blocks = append(blocks, block{head: e})
			continue
		}
		b := &blocks[len(blocks)-1]
		b.detail = append(b.detail, e)
	}
	var out []string
	seen := map[string]string{}
	for _, b := range blocks {
		out = append(out, b.head)
		if len(b.detail) == 0 {
			continue
		}
		key := strings.Join(b.detail, "\n")
		if first, ok := seen[key]; ok {
			out = append(out, fmt.Sprintf("  (the same %d line(s) as %s)", len(b.detail), first))
			continue
		}
		if id, _, ok := strings.Cut(b.head, " "); ok && strings.HasPrefix(id, "#") {
			seen[key] = id
		}
		out = append(out, b.detail...)
	}
	return collapseRuns(out)
}

// collapseRuns writes a line repeated in a row once, with its count.
func collapseRuns(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && lines[j] == lines[i] {
			j++
		}
		if n := j - i; n > 1 {
			out = append(out, fmt.Sprintf("%s (×%d)", lines[i], n))
		} else {
			out = append(out, lines[i])
		}
		i = j
	}
	return out
}
