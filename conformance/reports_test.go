package conformance_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

// tool finds a program the test needs: missing, the spec is skipped on a
// developer machine and fails in CI (CI=true), which installs it.
func tool(name, pkg string) string {
	GinkgoHelper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			Fail(name + " is missing; CI must install it (Debian package " + pkg + ")")
		}
		Skip(name + " is not installed (Debian package " + pkg + ")")
	}
	return p
}

// artifactDir is where CI keeps files for people to look at
// (FLAMOCK_ARTIFACT_DIR, .ci/out in .ci/run), else a temporary directory.
func artifactDir() string {
	if d := os.Getenv("FLAMOCK_ARTIFACT_DIR"); d != "" {
		Expect(os.MkdirAll(d, 0o755)).To(Succeed())
		return d
	}
	return GinkgoT().TempDir()
}

var _ = Describe("the reports, checked by independent tools", Label("reports"), func() {
	DescribeTable("JUnit XML validates against the common JUnit schema, with real durations",
		func(bug string) {
			xmllint := tool("xmllint", "libxml2-utils")
			rep := run(refclientRun(bug)).report
			var x bytes.Buffer
			Expect(rep.WriteJUnit(&x)).To(Succeed())
			file := filepath.Join(GinkgoT().TempDir(), "report.xml")
			Expect(os.WriteFile(file, x.Bytes(), 0o644)).To(Succeed())
			out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", file).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s\n%s", out, x.String())

			var doc struct {
				Suites []struct {
					Name  string `xml:"name,attr"`
					Cases []struct {
						Name string `xml:"name,attr"`
						Time string `xml:"time,attr"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			Expect(xml.Unmarshal(x.Bytes(), &doc)).To(Succeed())
			for _, s := range doc.Suites {
				if s.Name != conformance.AreaToken && s.Name != "scenarios" {
					continue
				}
				for _, c := range s.Cases {
					secs, err := strconv.ParseFloat(c.Time, 64)
					Expect(err).NotTo(HaveOccurred())
					Expect(secs).To(BeNumerically(">", 0), "%s: time %s", c.Name, c.Time)
				}
			}
		},
		Entry("a conformant client", ""),
		Entry("a client with a bug", "exp-hour"),
	)

	It("writes the old JUnit shape no more: skipped on testsuites, no errors on testsuite, every time 0", func() {
		rep := run(refclientRun("")).report
		var x bytes.Buffer
		Expect(rep.WriteJUnit(&x)).To(Succeed())
		Expect(x.String()).NotTo(MatchRegexp(`<testsuites[^>]*skipped=`))
		Expect(x.String()).To(MatchRegexp(`<testsuite [^>]*errors="0"`))
	})

	It("renders the HTML report in headless Chromium: verdict, rules, sources and evidence, no external asset", func() {
		chromium := tool("chromium", "chromium")
		rep := run(refclientRun("exp-hour")).report
		var h bytes.Buffer
		Expect(rep.WriteHTML(&h)).To(Succeed())
		page := h.String()
		Expect(page).NotTo(MatchRegexp(`(?i)<(script|link|img|iframe)\b`), "a self-contained page needs no script, link or image")
		Expect(page).NotTo(MatchRegexp(`(?i)url\(`))

		dir := artifactDir()
		file := filepath.Join(dir, "conform-report.html")
		Expect(os.WriteFile(file, h.Bytes(), 0o644)).To(Succeed())
		args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + GinkgoT().TempDir()}
		dom, err := exec.Command(chromium, append(args, "--dump-dom", "file://"+file)...).Output()
		Expect(err).NotTo(HaveOccurred())
		text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(dom), " ")
		text = strings.Join(strings.Fields(text), " ")
		for _, want := range []string{
			"NOT CONFORMANT", "FAIL OAUTH-EXP-01", "seed §6.1; RFC 7523 §3 item 4", "assertion claims:",
			"[happy-path] exp is 1h0m0s after iat", "PASS OAUTH-AUD-01", "scenarios", "happy-path",
		} {
			Expect(text).To(ContainSubstring(want))
		}
		shot := filepath.Join(dir, "conform-report.png")
		out, err := exec.Command(chromium, append(args, "--window-size=1280,2200", "--screenshot="+shot, "file://"+file)...).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		info, err := os.Stat(shot)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Size()).To(BeNumerically(">", 10_000), "an empty screenshot")
	})

	It("exercises, in each scenario, every rule it is built to exercise (what --scenario judges)", func() {
		for _, r := range run(refclientRun("")).runs {
			judged := map[string]bool{}
			for _, f := range r.Findings {
				judged[f.Rule] = true
			}
			for _, id := range r.Scenario.Exercises() {
				Expect(judged).To(HaveKey(id), "scenario %s gives no evidence for %s", r.Scenario.Name, id)
			}
			Expect(r.Status()).To(Equal(conformance.Pass), r.ProgressLine())
		}
	})
})
