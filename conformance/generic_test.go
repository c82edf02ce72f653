package conformance_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

// genericBugs are the planted bugs that are not the FLA's own: each is
// caught by its rule on the attestations spec as well (the generic profile
// on a Swagger 2.0 document with its own error model).
var genericBugs = []struct {
	name string
	want []string
}{
	{"token-per-call", []string{conformance.TokenReuse}},
	{"no-renewal-after-401", []string{conformance.TokenRenew}},
	{"endless-retry-after-401", []string{conformance.TokenRetry}},
	{"retry-400", []string{conformance.APINoRetry}},
	{"ignore-retry-after", []string{conformance.APIRetryAfter}},
	{"no-backoff", []string{conformance.APIBackoff}},
	{"fixed-backoff", []string{conformance.APIBackoff}},
	{"endless-retry-429", []string{conformance.APIBounded}},
	{"hide-detail", []string{conformance.APIDetail}},
	{"skip-tls-verify", []string{conformance.TLSVerify}},
}

func genericRun(bug string) runKey {
	k := refclientRun(bug)
	k.generic = true
	return k
}

var _ = Describe("the reference client on another API's Swagger 2.0 spec", Label("refclient", "generic"), func() {
	It("passes every rule it exercises; the one it cannot is not exercised, with the reason", func() {
		rep := run(genericRun("")).report
		Expect(rep.Failed()).To(BeEmpty(), reportText(rep))
		for _, o := range rep.Outcomes {
			if o.Status != conformance.Skip {
				continue
			}
			Expect(o.NotApplicable).To(BeTrue(), "%s was not exercised: %s\n%s", o.Rule.ID, o.Reason, reportText(rep))
			if o.Rule.Area != conformance.AreaCertificate {
				Expect(o.Rule.ID).To(Equal(conformance.APITenant))
				Expect(o.Reason).To(Equal("not exercised on this API: the generic profile has no tenant rule"))
			}
		}
		Expect(rep.Notes).To(ConsistOf("operation uploadAttachment left out: its body is multipart/form-data; the adapter contract sends JSON bodies"))
		Expect(rep.Scenarios).To(Equal([]string{"happy-path", "several-operations", "token-expiry", "token-revoked", "persistent-401",
			"too-many-requests", "service-unavailable", "server-error", "validation-error", "missing-scope", "untrusted-tls"}))
		Expect(rep.OK()).To(BeTrue())
	})

	DescribeTable("a planted bug is caught by the right rule and no other",
		func(bug string, want []string) {
			res := bugRunOf(genericRun, bug, want[0])
			Expect(res.report.Failed()).To(ConsistOf(want), reportText(res.report))
			for _, id := range want {
				o, _ := res.report.Outcome(id)
				Expect(o.Failures).NotTo(BeEmpty())
				Expect(o.Failures[0].Evidence).NotTo(BeEmpty(), "a failure without evidence: %s", id)
			}
		},
		func() []TableEntry {
			var entries []TableEntry
			for _, b := range genericBugs {
				entries = append(entries, Entry(b.name, Label("planted-bug"), b.name, b.want))
			}
			return entries
		}(),
	)
})
