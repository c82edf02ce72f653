package conformance_test

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

const rulesHeader = `# flamock conformance rules

Generated from the catalogue in ` + "`conformance/rules.go`" + ` by the conformance suite; do not edit.
Refresh with ` + "`FLAMOCK_UPDATE_RULES=1 go test ./conformance/`" + `.

MUST rules decide whether ` + "`flamock conform`" + ` exits 0. The "verify" column marks the rules that
` + "`flamock verify JOURNAL`" + ` can judge from recorded traffic alone.

`

var _ = Describe("the rule catalogue", Label("catalogue"), func() {
	rules := conformance.Rules()

	It("gives every rule a unique stable id, a level, a source and a check", func() {
		seen := map[string]bool{}
		idPattern := regexp.MustCompile(`^[A-Z]+(-[A-Z0-9]+)+$`)
		for _, r := range rules {
			Expect(seen).NotTo(HaveKey(r.ID), "duplicate id")
			seen[r.ID] = true
			Expect(r.ID).To(MatchRegexp(idPattern.String()))
			Expect(r.Level).To(BeElementOf(conformance.Must, conformance.Should), r.ID)
			Expect(r.Title).NotTo(BeEmpty(), r.ID)
			Expect(r.Source).NotTo(BeEmpty(), r.ID)
			Expect(r.Check).NotTo(BeEmpty(), r.ID)
			got, ok := conformance.RuleByID(r.ID)
			Expect(ok).To(BeTrue())
			Expect(got.ID).To(Equal(r.ID))
			Expect(got.Title).To(Equal(r.Title))
		}
		Expect(len(rules)).To(BeNumerically(">=", 30))
	})

	It("is what RULES.md shows", func() {
		var b bytes.Buffer
		b.WriteString(rulesHeader)
		Expect(conformance.WriteRulesMarkdown(&b)).To(Succeed())
		if os.Getenv("FLAMOCK_UPDATE_RULES") != "" {
			Expect(os.WriteFile("RULES.md", b.Bytes(), 0o644)).To(Succeed())
		}
		onDisk, err := os.ReadFile("RULES.md")
		Expect(err).NotTo(HaveOccurred(), "run FLAMOCK_UPDATE_RULES=1 go test ./conformance/")
		Expect(string(onDisk)).To(Equal(b.String()), "RULES.md is stale: run FLAMOCK_UPDATE_RULES=1 go test ./conformance/")
	})

	It("is documented with every environment variable in CONTRACT.md", func() {
		doc, err := os.ReadFile("CONTRACT.md")
		Expect(err).NotTo(HaveOccurred())
		for _, name := range []string{
			conformance.EnvTokenURL, conformance.EnvAPIURL, "FLAMOCK_EMPLOYER_API_URL", "FLAMOCK_TRAINING_PROVIDER_API_URL",
			conformance.EnvClientID, conformance.EnvScope, conformance.EnvKeyP12, conformance.EnvKeyP12Password,
			conformance.EnvKeyPEM, conformance.EnvCertPEM, conformance.EnvCAFile, conformance.EnvOperations,
			conformance.EnvOperationsTSV, conformance.EnvScenario, conformance.EnvTimeLimitSeconds,
		} {
			Expect(string(doc)).To(ContainSubstring("`"+name+"`"), name)
		}
		for _, sc := range conformance.Scenarios(suite.API()) {
			Expect(string(doc)).To(ContainSubstring("`"+sc.Name+"`"), "scenario "+sc.Name)
		}
		Expect(strings.Count(string(doc), "```") % 2).To(BeZero())
	})

	It("states in CONTRACT.md every limit a client must respect and names every adapter template", func() {
		doc, err := os.ReadFile("CONTRACT.md")
		Expect(err).NotTo(HaveOccurred())
		for _, want := range []string{
			fmt.Sprintf("at most %d s after `iat`", conformance.MaxAssertionLifetime),
			fmt.Sprintf("%d s clock skew", conformance.ClockSkew),
			fmt.Sprintf("at most %d after 429 or 503", conformance.MaxRetries),
			fmt.Sprintf("at least %d ms after the answer it follows", conformance.MinBackoffMillis),
			"more than 60 s of `expires_in` left", "`TOKEN-REUSE-01`",
			"Node", "Java", ".NET", "Python", "Go", "bash",
		} {
			Expect(string(doc)).To(ContainSubstring(want))
		}
		entries, err := os.ReadDir("adapters")
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			if e.IsDir() {
				Expect(string(doc)).To(ContainSubstring("`conformance/adapters/"+e.Name()+"/"), "adapter template "+e.Name())
			}
		}
	})
})
