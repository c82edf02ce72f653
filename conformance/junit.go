package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML, as the common JUnit schema has it (testdata/junit.xsd holds
// the constraints the CI checks with xmllint): testsuites carries name,
// tests, failures, errors and time; each testsuite also skipped and a
// timestamp; each testcase a classname and its real duration.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
	dur       time.Duration
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
	SystemErr string        `xml:"system-err,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func junitTime(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: one test suite per area, one
// test case per rule (its time: its judge's), and for
// flamock conform a suite of the scenarios, whose failures carry the
// client's error lines and stderr.
func (r *Report) WriteJUnit(w io.Writer) error {
	root := junitSuites{Name: r.Tool, Time: junitTime(r.Duration)}
	stamp := r.Started.UTC().Format("2006-01-02T15:04:05")
	idx := map[string]int{}
	for _, o := range r.Outcomes {
		i, ok := idx[o.Rule.Area]
		if !ok {
			i = len(root.Suites)
			idx[o.Rule.Area] = i
			root.Suites = append(root.Suites, junitSuite{Name: o.Rule.Area, Timestamp: stamp})
		}
		s := &root.Suites[i]
		tc := junitCase{Name: o.Rule.ID + " " + string(o.Rule.Level) + ": " + o.Rule.Title, Classname: "flamock." + strings.ReplaceAll(o.Rule.Area, " ", "_"), Time: junitTime(o.Duration)}
		s.dur += o.Duration
		switch o.Status {
		case Fail:
			var txt strings.Builder
			fmt.Fprintf(&txt, "source: %s\nchecks: %s\n", o.Rule.Source, o.Rule.Check)
			for _, f := range o.Failures {
				fmt.Fprintf(&txt, "- [%s] %s\n", f.Scenario, f.Message)
				for _, e := range f.Evidence {
					fmt.Fprintf(&txt, "    %s\n", e)
				}
			}
			msg := ""
			if len(o.Failures) > 0 {
				msg = o.Failures[0].Message
			}
			tc.Failure = &junitMessage{Message: msg, Type: string(o.Rule.Level), Text: txt.String()}
			s.Failures++
			root.Failures++
		case Skip:
			tc.Skipped = &junitMessage{Message: o.Reason}
			s.Skipped++
		case Pass:
			tc.SystemOut = o.Reason
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, tc)
	}
	if len(r.Runs) > 0 {
		s := junitSuite{Name: "scenarios", Timestamp: stamp}
		for _, run := range r.Runs {
			tc := junitCase{Name: run.Scenario, Classname: "flamock.scenarios", Time: junitTime(run.Duration)}
			var said strings.Builder
			for _, e := range run.Errors {
				fmt.Fprintf(&said, "error line: %s\n", e)
			}
			if len(run.StderrTail) > 0 {
				said.WriteString("stderr (last lines):\n" + strings.Join(run.StderrTail, "\n") + "\n")
			}
			tc.SystemErr = said.String()
			if run.Status == Fail {
				msg := run.Problem
				if msg == "" {
					msg = "failed: " + strings.Join(run.Failed, ", ")
				}
				tc.Failure = &junitMessage{Message: msg, Text: msg + "\n" + said.String()}
				s.Failures++
				root.Failures++
			}
			s.dur += run.Duration
			s.Tests++
			root.Tests++
			s.Cases = append(s.Cases, tc)
		}
		root.Suites = append(root.Suites, s)
	}
	for i := range root.Suites {
		root.Suites[i].Time = junitTime(root.Suites[i].dur)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
