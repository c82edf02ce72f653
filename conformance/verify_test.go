package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

// journalOf writes the journal of some scenarios of a run as
// `flamock serve --journal` would: one JSON event per line.
func journalOf(res runResult, scenarios ...string) *bytes.Buffer {
	var b bytes.Buffer
	for _, r := range res.runs {
		for _, want := range scenarios {
			if r.Scenario.Name != want {
				continue
			}
			for _, ev := range r.Trace.Events {
				line, err := json.Marshal(ev)
				Expect(err).NotTo(HaveOccurred())
				b.Write(append(line, '\n'))
			}
		}
	}
	return &b
}

var _ = Describe("flamock verify: judging recorded traffic", Label("verify"), func() {
	verify := func(journal *bytes.Buffer, cfg conformance.VerifyConfig) *conformance.Report {
		events, bad, err := conformance.ReadJournal(journal)
		Expect(err).NotTo(HaveOccurred())
		Expect(bad).To(BeEmpty())
		return conformance.Verify(events, cfg)
	}

	It("finds nothing wrong in a correct client's traffic, and says what it cannot judge", func() {
		passed := map[string]bool{}
		// One journal per scenario: each scenario had its own token server.
		for _, sc := range []string{"happy-path", "token-expiry", "too-many-requests"} {
			rep := verify(journalOf(run(refclientRun("")), sc), conformance.VerifyConfig{ClientID: conformance.ProviderClientID})
			Expect(rep.Failed()).To(BeEmpty(), reportText(rep))
			for _, o := range rep.Outcomes {
				if o.Status == conformance.Pass {
					passed[o.Rule.ID] = true
				}
				if !o.Rule.Passive && o.Rule.Area != conformance.AreaCertificate {
					Expect(o.Status).To(Equal(conformance.Skip), o.Rule.ID)
					Expect(o.Reason).To(ContainSubstring("run flamock conform"))
				}
			}
		}
		for _, id := range []string{conformance.OAuthJTI, conformance.TokenRenew, conformance.APIRetryAfter, conformance.TokenHeader, conformance.TokenReuse} {
			Expect(passed).To(HaveKey(id))
		}
	})

	DescribeTable("catches a planted bug from the journal alone",
		func(bug, scenario, rule string) {
			rep := verify(journalOf(run(refclientRun(bug)), scenario), conformance.VerifyConfig{})
			Expect(rep.Failed()).To(ContainElement(rule), reportText(rep))
		},
		Entry(nil, "token-in-query", "happy-path", conformance.TokenHeader),
		Entry(nil, "reused-jti", "token-expiry", conformance.OAuthJTI),
		Entry(nil, "exp-hour", "happy-path", conformance.OAuthExpiry),
		Entry(nil, "aud-trailing-slash", "happy-path", conformance.OAuthAudience),
		Entry(nil, "ignore-retry-after", "too-many-requests", conformance.APIRetryAfter),
		Entry(nil, "endless-retry-after-401", "persistent-401", conformance.TokenRetry),
		Entry(nil, "retry-400", "validation-error", conformance.APINoRetry),
	)

	It("reports an empty journal as judging nothing", func() {
		rep := verify(&bytes.Buffer{}, conformance.VerifyConfig{})
		Expect(rep.Failed()).To(BeEmpty())
		Expect(rep.Notes).NotTo(BeEmpty())
	})

	It("skips lines that are not events and says so", func() {
		events, bad, err := conformance.ReadJournal(strings.NewReader("not json\n{\"seq\":1}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(events).To(BeEmpty())
		Expect(bad).To(HaveLen(2))
	})
})

var _ = Describe("the reports", Label("reports"), func() {
	It("show each failure with its evidence and source, in text, JSON and JUnit XML", func() {
		rep := run(refclientRun("exp-hour")).report
		text := reportText(rep)
		Expect(text).To(ContainSubstring("FAIL  OAUTH-EXP-01"))
		Expect(text).To(ContainSubstring("source: seed §6.1"))
		Expect(text).To(ContainSubstring("assertion claims: "))
		Expect(text).To(MatchRegexp(`exp = request \+3(599|600)s`))
		Expect(text).To(ContainSubstring("NOT CONFORMANT"))

		var js bytes.Buffer
		Expect(rep.WriteJSON(&js)).To(Succeed())
		var decoded struct {
			OK       bool `json:"ok"`
			Outcomes []struct {
				Status string `json:"status"`
			} `json:"outcomes"`
		}
		Expect(json.Unmarshal(js.Bytes(), &decoded)).To(Succeed())
		Expect(decoded.OK).To(BeFalse())
		Expect(decoded.Outcomes).To(HaveLen(len(conformance.Rules())))

		var x bytes.Buffer
		Expect(rep.WriteJUnit(&x)).To(Succeed())
		var suites struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		Expect(xml.Unmarshal(x.Bytes(), &suites)).To(Succeed())
		Expect(suites.Tests).To(Equal(len(conformance.Rules())))
		Expect(suites.Failures).To(Equal(1))
	})

	It("leave out what --level must and --skip ask", func() {
		var findings []conformance.Finding
		for _, r := range run(refclientRun("token-per-call")).runs {
			findings = append(findings, r.Findings...)
		}
		all := conformance.BuildReport(findings, nil, suiteNow(), conformance.Options{}, "none")
		must := conformance.BuildReport(findings, nil, suiteNow(), conformance.Options{Level: conformance.Must}, "none")
		skipped := conformance.BuildReport(findings, nil, suiteNow(), conformance.Options{Skip: []string{conformance.TokenReuse}}, "none")
		status := func(os []conformance.Outcome, id string) conformance.Status {
			for _, o := range os {
				if o.Rule.ID == id {
					return o.Status
				}
			}
			return ""
		}
		Expect(status(all, conformance.TokenReuse)).To(Equal(conformance.Fail))
		Expect(status(must, conformance.TokenReuse)).To(Equal(conformance.Skip))
		Expect(status(skipped, conformance.TokenReuse)).To(Equal(conformance.Skip))
		Expect((&conformance.Report{Outcomes: must}).Failed()).To(BeEmpty())
	})
})
