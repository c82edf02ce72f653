package conformance

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// htmlReport is a whole page: styles inline, no script, no external asset,
// so that the file can be archived by a CI and opened anywhere.
var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": func(s Status) string {
		switch s {
		case Pass:
			return "pass"
		case Fail:
			return "fail"
		}
		return "skip"
	},
	"secs": func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) },
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.R.Tool}}: {{if .R.OK}}conformant{{else}}NOT CONFORMANT{{end}}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2433}
h1{font-size:1.5rem;margin:0 0 .3rem}
h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d5dae3}
.verdict{padding:.8rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}
.verdict.ok{background:#e3f5e8;color:#11632e}.verdict.nok{background:#fde8e8;color:#8a1c1c}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e6e9ef}
th{font-size:.8rem;text-transform:uppercase;color:#5b6474}
.status{font-weight:700;font-size:.8rem;padding:.1rem .4rem;border-radius:4px;white-space:nowrap}
.pass{background:#e3f5e8;color:#11632e}.fail{background:#fde8e8;color:#8a1c1c}.skip{background:#eef0f4;color:#5b6474}
code,pre{font:13px/1.4 ui-monospace,monospace}
td code{white-space:nowrap}
pre{background:#f6f7f9;padding:.6rem;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
.muted{color:#5b6474}.small{font-size:.85rem}
</style>
</head>
<body>
<h1>{{.R.Tool}}</h1>
<div class="muted small">{{if .R.Client}}client <code>{{.R.Client}}</code> · {{end}}started {{when .R.Started}} · {{secs .R.Duration}} · level {{.R.Level}}{{if .R.Scenarios}} · {{len .R.Scenarios}} scenarios{{end}}</div>
{{with .R.ReferenceNote}}<div class="verdict nok" id="reference">{{.}}</div>{{end}}
<div class="verdict {{if .R.OK}}ok{{else}}nok{{end}}" id="verdict">{{.R.Verdict}}</div>
{{if .R.ClientNeverRan}}<p><strong>{{.R.ClientNeverRan}}</strong></p>{{if .R.ClientStderr}}<div class="small">stderr (last lines):</div><pre>{{range .R.ClientStderr}}{{.}}
{{end}}</pre>{{end}}{{end}}
{{range .R.Notes}}<p class="small">note: {{.}}</p>{{end}}
{{range .Areas}}
<h2>{{.Name}}</h2>
<table>
<tr><th>verdict</th><th>rule</th><th>level</th><th>what it requires</th><th>source</th></tr>
{{range .Outcomes}}
<tr id="{{.Rule.ID}}">
<td><span class="status {{lower .Status}}">{{.Status}}</span></td>
<td><code>{{.Rule.ID}}</code></td>
<td>{{.Rule.Level}}</td>
<td>{{.Rule.Title}}<div class="muted small">checks: {{.Rule.Check}}</div>{{if .Reason}}<div class="small">{{.Reason}}</div>{{end}}
{{range .Failures}}<div class="small"><strong>{{.Heading}}</strong><pre>{{range .Evidence}}{{.}}
{{end}}</pre></div>{{end}}</td>
<td class="small">{{.Rule.Source}}</td>
</tr>
{{end}}
</table>
{{end}}
{{if .R.Runs}}
<h2>scenarios</h2>
<table>
<tr><th>verdict</th><th>scenario</th><th>time</th><th>failed rules and what the client said</th></tr>
{{range .Runs}}
<tr><td><span class="status {{lower .Status}}">{{.Status}}</span></td><td><code>{{.Scenario}}</code></td><td class="small">{{secs .Duration}}</td>
<td class="small">{{range .Failed}}<code>{{.}}</code> {{end}}{{if .Problem}}<div>{{.Problem}}</div>{{end}}
{{if .Errors}}<div>the client's error lines:</div><pre>{{range .Errors}}{{.}}
{{end}}</pre>{{end}}{{if .StderrTail}}<div>stderr (last lines):</div><pre>{{range .StderrTail}}{{.}}
{{end}}</pre>{{end}}</td></tr>
{{end}}
</table>
{{end}}
{{if .R.Unattributed}}
<h2>unattributed traffic (not judged)</h2>
<pre>{{range .R.Unattributed}}{{.}}
{{end}}</pre>
{{end}}
{{with .R.ReferenceNote}}<div class="verdict nok">{{.}}</div>{{end}}
</body>
</html>
`))

type htmlArea struct {
	Name     string
	Outcomes []Outcome
}

// WriteHTML writes the report as one self-contained HTML page: the
// verdict, the failed rules first with their source and evidence, the
// other rules by area, and for flamock conform each scenario (failed
// ones first) with what the client said. A section with nothing to show
// is left out.
func (r *Report) WriteHTML(w io.Writer) error {
	var areas []htmlArea
	var failed []Outcome
	for _, o := range r.Outcomes {
		if o.Status == Fail {
			failed = append(failed, o)
			continue
		}
		if len(areas) == 0 || areas[len(areas)-1].Name != o.Rule.Area {
			areas = append(areas, htmlArea{Name: o.Rule.Area})
		}
		a := &areas[len(areas)-1]
		a.Outcomes = append(a.Outcomes, o)
	}
	if len(failed) > 0 {
		areas = append([]htmlArea{{Name: "failed", Outcomes: failed}}, areas...)
	}
	return htmlReport.Execute(w, struct {
		R     *Report
		Areas []htmlArea
		Runs  []RunSummary
	}{r, areas, failuresFirst(r.Runs)})
}
