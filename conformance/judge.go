package conformance

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// Finding is one judgement of one rule on one piece of evidence.
type Finding struct {
	Rule     string   `json:"rule"`
	Scenario string   `json:"scenario,omitempty"`
	Pass     bool     `json:"pass"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
	// Count is how many findings this one stands for in a report, when
	// the same failure, with the same evidence, repeated (0 or 1: once).
	Count int `json:"count,omitempty"`
}

// judge decides one rule from a trace: one finding per piece of evidence,
// none when the trace holds nothing that decides the rule.
type judge func(t *Trace) []Finding

// Judge decides every rule it can from t and returns the findings. Each
// rule of the catalogue holds its judge; the certificate rules have none
// (they are decided from the certificate alone, in BuildReport).
func Judge(t *Trace) []Finding {
	out, _ := judgeTimed(t)
	return out
}

// judgeTimed is Judge that also says how long each rule's judge took.
func judgeTimed(t *Trace) ([]Finding, map[string]time.Duration) {
	var out []Finding
	took := map[string]time.Duration{}
	for _, r := range catalogue {
		if r.judge == nil || !t.judges(r.ID) {
			continue
		}
		t0 := time.Now()
		for _, f := range r.judge(t) {
			f.Rule, f.Scenario = r.ID, t.Scenario
			out = append(out, f)
		}
		took[r.ID] = time.Since(t0)
	}
	return out, took
}

func pass(msg string, ev ...string) Finding { return Finding{Pass: true, Message: msg, Evidence: ev} }
func fail(msg string, ev ...string) Finding { return Finding{Message: msg, Evidence: ev} }

// ---- evidence

func tokenEvidence(t *Trace, ev journal.Event) []string {
	tk := ev.Token
	var out []string
	line := "POST token endpoint"
	if x := t.exchange(ev.Seq); x != nil {
		line = x.RequestLine()
		if x.ContentType != "" {
			line += " (Content-Type " + x.ContentType + ")"
		}
	} else if tk.Method != "" {
		line = tk.Method + " token endpoint"
		if tk.ContentType != "" {
			line += " (Content-Type " + tk.ContentType + ")"
		}
	}
	if tk.ClientAuth != "" {
		line += " with client authentication " + tk.ClientAuth
	}
	line += fmt.Sprintf(" -> %d", tk.Status)
	if tk.Error != "" {
		line += " " + tk.Error
	}
	if tk.Stage != "" && tk.Verdict == journal.VerdictRefused {
		line += " (check " + tk.Stage + ")"
	}
	if tk.Description != "" {
		line += ": " + tk.Description
	}
	out = append(out, fmt.Sprintf("#%d %s %s", ev.Seq, ev.Time.Format("15:04:05.000"), line))
	if tk.Header != nil {
		out = append(out, "assertion header: "+compactJSON(tk.Header))
	}
	if tk.Claims != nil {
		out = append(out, "assertion claims: "+compactJSON(tk.Claims)+claimTimes(tk.Claims, ev.Time))
	}
	if id := formClientID(tk); id != "" {
		out = append(out, "client_id form field: "+strconvQuote(id))
	}
	if tk.RequestScope != "" {
		out = append(out, "scope: "+tk.RequestScope)
	}
	return out
}

// claimTimes explains the NumericDate claims relative to the request time.
func claimTimes(c map[string]any, at time.Time) string {
	var parts []string
	for _, name := range []string{"iat", "nbf", "exp"} {
		if v, ok := numeric(c, name); ok {
			parts = append(parts, fmt.Sprintf("%s = request %+ds", name, int(math.Round(v.Sub(at).Seconds()))))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func apiEvidence(c call) []string {
	a := c.ev.API
	line := a.Method + " " + a.Path
	if a.Query != "" {
		line += "?" + redactQuery(a.Query)
	}
	if c.x != nil && c.x.AuthScheme != "" {
		line += " (Authorization: " + c.x.AuthScheme + " …)"
	}
	line += fmt.Sprintf(" -> %d", a.Status)
	if a.ProblemType != "" {
		line += " " + a.ProblemType
	}
	if a.Fault != "" {
		line += " [injected: " + a.Fault + "]"
	}
	out := []string{fmt.Sprintf("#%d %s %s", c.ev.Seq, c.start().Format("15:04:05.000"), line)}
	for _, l := range a.Layers {
		if l.Verdict == "fail" {
			out = append(out, "  "+l.Name+": "+clip(l.Detail, 300))
		}
	}
	for _, is := range a.Issues {
		out = append(out, "  issue: "+clip(is, 200))
	}
	if c.x != nil && len(c.x.Body) > 0 && a.Status >= 400 {
		out = append(out, "  response: "+clip(string(c.x.Body), 400))
	}
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func numeric(c map[string]any, name string) (time.Time, bool) {
	f, ok := c[name].(float64)
	if !ok {
		if n, isNum := c[name].(json.Number); isNum {
			var err error
			if f, err = n.Float64(); err != nil {
				return time.Time{}, false
			}
		} else {
			return time.Time{}, false
		}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// formRead says the token endpoint got as far as reading the form.
