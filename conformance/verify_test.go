package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/profiles/fla"
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
			rep := verify(journalOf(run(refclientRun("")), sc), conformance.VerifyConfig{ClientID: fla.ConformanceProviderClientID})
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
			rep := verify(journalOf(bugRun(bug, rule), scenario), conformance.VerifyConfig{})
			Expect(rep.Failed()).To(ContainElement(rule), reportText(rep))
		},
		Entry(nil, "token-in-query", "happy-path", conformance.TokenHeader),
		Entry(nil, "reused-jti", "token-expiry", conformance.OAuthJTI),
		Entry(nil, "exp-hour", "happy-path", conformance.OAuthExpiry),
		Entry(nil, "aud-trailing-slash", "happy-path", conformance.OAuthAudience),
		Entry(nil, "ignore-retry-after", "too-many-requests", conformance.APIRetryAfter),
		Entry(nil, "endless-retry-after-401", "persistent-401", conformance.TokenRetry),
		Entry(nil, "retry-400", "validation-error", conformance.APINoRetry),
		Entry(nil, "endless-retry-429", "service-unavailable", conformance.APIBounded),
		Entry(nil, "fixed-backoff", "server-error", conformance.APIBackoff),
		Entry(nil, "iat-future", "happy-path", conformance.OAuthIssuedAt),
		Entry(nil, "no-iat-exp-hour", "happy-path", conformance.OAuthExpiry),
		Entry(nil, "client-id-field", "happy-path", conformance.OAuthIssuer),
	)

	It("names a client_id form field that differs from iss, with the refused request as evidence", func() {
		o, _ := run(refclientRun("client-id-field")).report.Outcome(conformance.OAuthIssuer)
		Expect(o.Status).To(Equal(conformance.Fail))
		f := o.Failures[0]
		Expect(f.Message).To(MatchRegexp(`the client_id form field is "self_service_chaman_\d+_\w+-app", but iss and sub are`))
		ev := strings.Join(f.Evidence, "\n")
		Expect(ev).To(ContainSubstring("POST /REST/oauth/v5/token"))
		Expect(ev).To(ContainSubstring("unknown client"))
		Expect(ev).To(ContainSubstring(`client_id form field: "`))
	})

	// rewrite changes every token event of a journal.
	rewrite := func(b *bytes.Buffer, change func(*journal.Token)) *bytes.Buffer {
		events, bad, err := conformance.ReadJournal(b)
		Expect(err).NotTo(HaveOccurred())
		Expect(bad).To(BeEmpty())
		var out bytes.Buffer
		for _, ev := range events {
			if ev.Token != nil {
				change(ev.Token)
			}
			line, err := json.Marshal(ev)
			Expect(err).NotTo(HaveOccurred())
			out.Write(append(line, '\n'))
		}
		return &out
	}
	status := func(rep *conformance.Report, rule string) conformance.Status {
		o, ok := rep.Outcome(rule)
		Expect(ok).To(BeTrue(), rule)
		return o.Status
	}

	DescribeTable("decides token-request rules from the check that refused and the client authentication, not from the error text",
		func(bug, rule string, want conformance.Status) {
			// No token URL and no scopes given: only the journal's Stage
			// and ClientAuth can decide these.
			recorded := rewrite(journalOf(run(refclientRun(bug)), "happy-path"), func(tk *journal.Token) {
				Expect(tk.Method).To(Equal("POST"))
				Expect(tk.Stage).NotTo(BeEmpty(), "every request of %s is refused", bug)
				tk.Description = ""
			})
			rep := verify(recorded, conformance.VerifyConfig{})
			Expect(status(rep, rule)).To(Equal(want), reportText(rep))
		},
		Entry("a client_secret (ClientAuth)", "client-secret", conformance.OAuthSecret, conformance.Fail),
		Entry("aud refused (Stage aud)", "aud-trailing-slash", conformance.OAuthAudience, conformance.Fail),
		Entry("scope refused (Stage scope)", "wrong-scope", conformance.OAuthScope, conformance.Fail),
		// Refused after the signature and aud checks: both passed, which a
		// journal without Stage could not tell (these were SKIP).
		Entry("signature verified, refused later (Stage lifetime)", "exp-hour", conformance.OAuthSignature, conformance.Pass),
		Entry("aud accepted, refused later (Stage lifetime)", "exp-hour", conformance.OAuthAudience, conformance.Pass),
	)

	DescribeTable("still judges journals recorded before Method, ContentType, ClientAuth and Stage",
		func(bug, rule string) {
			recorded := rewrite(journalOf(run(refclientRun(bug)), "happy-path"), func(tk *journal.Token) {
				tk.Method, tk.ContentType, tk.ClientAuth, tk.Stage = "", "", "", ""
			})
			rep := verify(recorded, conformance.VerifyConfig{})
			Expect(rep.Failed()).To(ContainElement(rule), reportText(rep))
		},
		Entry(nil, "client-secret", conformance.OAuthSecret),
		Entry(nil, "aud-trailing-slash", conformance.OAuthAudience),
		Entry(nil, "wrong-scope", conformance.OAuthScope),
	)

	DescribeTable("judges how a token request was sent from the journal's Method, ContentType and ClientAuth",
		func(token string, want ...string) {
			line := `{"seq":1,"time":"2026-11-24T12:00:00Z","kind":"token","token":` + token + "}\n"
			rep := verify(bytes.NewBufferString(line), conformance.VerifyConfig{})
			Expect(rep.Failed()).To(ConsistOf(want), reportText(rep))
		},
		Entry("a GET", `{"method":"GET","stage":"method","verdict":"refused","status":405,"error":"invalid_request"}`, conformance.OAuthForm),
		Entry("a JSON body", `{"method":"POST","contentType":"application/json","stage":"content-type","verdict":"refused","status":400,"error":"invalid_request"}`,
			conformance.OAuthForm),
		Entry("a Latin-1 form", `{"method":"POST","contentType":"application/x-www-form-urlencoded","stage":"content-type","verdict":"refused","status":400,"error":"invalid_request"}`,
			conformance.OAuthForm),
		Entry("a client_secret in the URL query", `{"method":"POST","contentType":"application/x-www-form-urlencoded","clientAuth":"client_secret","stage":"query","verdict":"refused","status":400,"error":"invalid_request"}`,
			conformance.OAuthForm, conformance.OAuthSecret),
		Entry("HTTP Basic", `{"method":"POST","contentType":"application/x-www-form-urlencoded","clientAuth":"basic","stage":"client-secret","grantType":"client_credentials","assertionType":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","verdict":"refused","status":400,"error":"invalid_request"}`,
			conformance.OAuthSecret),
		Entry("a client_secret answered by a planted fault", `{"method":"POST","contentType":"application/x-www-form-urlencoded","clientAuth":"client_secret","stage":"fault","verdict":"injected","status":503,"error":"temporarily_unavailable"}`,
			conformance.OAuthSecret),
		Entry("a form POST answered by a planted fault", `{"method":"POST","contentType":"application/x-www-form-urlencoded","stage":"fault","verdict":"injected","status":503,"error":"temporarily_unavailable"}`),
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
		failedRuns := 0
		for _, r := range rep.Runs {
			if r.Status == conformance.Fail {
				failedRuns++
			}
		}
		Expect(failedRuns).To(BeNumerically(">", 0))
		Expect(suites.Tests).To(Equal(len(conformance.Rules()) + len(rep.Runs)))
		Expect(suites.Failures).To(Equal(1 + failedRuns))
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
