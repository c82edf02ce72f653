package conformance_test

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

// plantedBugs are the reference client's switches and the rules that must
// catch each of them: exactly these fail, no other.
var plantedBugs = []struct {
	name string
	want []string
}{
	{"exp-hour", []string{conformance.OAuthExpiry}},
	{"reused-jti", []string{conformance.OAuthJTI}},
	{"aud-trailing-slash", []string{conformance.OAuthAudience}},
	{"alg-none", []string{conformance.OAuthAlg}},
	{"iss-not-sub", []string{conformance.OAuthIssuer}},
	{"client-secret", []string{conformance.OAuthSecret}},
	{"wrong-scope", []string{conformance.OAuthScope}},
	{"token-per-call", []string{conformance.TokenReuse}},
	{"token-in-query", []string{conformance.TokenHeader}},
	{"no-renewal-after-401", []string{conformance.TokenRenew}},
	{"endless-retry-after-401", []string{conformance.TokenRetry}},
	{"retry-400", []string{conformance.APINoRetry}},
	{"ignore-retry-after", []string{conformance.APIRetryAfter}},
	{"no-backoff", []string{conformance.APIBackoff}},
	{"skip-tls-verify", []string{conformance.TLSVerify}},
	{"unmandated-employer", []string{conformance.APITenant}},
	{"hide-detail", []string{conformance.APIDetail}},
	{"iat-future", []string{conformance.OAuthIssuedAt}},
	{"no-iat-exp-hour", []string{conformance.OAuthExpiry}},
	{"fixed-backoff", []string{conformance.APIBackoff}},
	{"endless-retry-429", []string{conformance.APIBounded}},
	{"client-id-field", []string{conformance.OAuthIssuer}},
}

func reportText(r *conformance.Report) string {
	var b bytes.Buffer
	_ = r.WriteText(&b)
	return b.String()
}

var _ = Describe("the reference client", Label("refclient"), func() {
	It("passes every rule of the catalogue", func() {
		res := run(refclientRun(""))
		rep := res.report
		Expect(rep.Failed()).To(BeEmpty(), reportText(rep))
		for _, o := range rep.Outcomes {
			if o.Status == conformance.Skip {
				Expect(o.NotApplicable).To(BeTrue(), "%s was not exercised: %s\n%s", o.Rule.ID, o.Reason, reportText(rep))
			}
		}
		Expect(rep.OK()).To(BeTrue())
		// Speed is measured, not asserted: the run time goes in the report.
		AddReportEntry("full run of the reference client", rep.Duration.String())
	})

	DescribeTable("a planted bug is caught by the right rule and no other",
		func(bug string, want []string) {
			res := bugRun(bug, want[0])
			Expect(res.report.Failed()).To(ConsistOf(want), reportText(res.report))
			for _, id := range want {
				o, _ := res.report.Outcome(id)
				Expect(o.Failures).NotTo(BeEmpty())
				Expect(o.Failures[0].Evidence).NotTo(BeEmpty(), "a failure without evidence: %s", id)
			}
		},
		func() []TableEntry {
			var entries []TableEntry
			for _, b := range plantedBugs {
				entries = append(entries, Entry(b.name, Label("planted-bug"), b.name, b.want))
			}
			return entries
		}(),
	)

	It("plants no bug this table does not prove", func() {
		cmd := exec.Command(refclient)
		cmd.Env = append(cmd.Environ(), "FLAMOCK_REFCLIENT_BUG=no-such-bug")
		out, err := cmd.CombinedOutput()
		Expect(err).To(HaveOccurred())
		_, known, ok := strings.Cut(string(out), "known: ")
		Expect(ok).To(BeTrue(), string(out))
		var names []string
		for _, b := range plantedBugs {
			names = append(names, b.name)
		}
		slices.Sort(names)
		got := strings.Split(strings.TrimSpace(known), ", ")
		slices.Sort(got)
		Expect(got).To(Equal(names))
		Expect(len(names)).To(BeNumerically(">=", 12))
	})
})
