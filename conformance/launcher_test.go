package conformance_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

// A client that misbehaves as a process is judged, not obeyed.
var _ = Describe("the launcher", Label("launcher"), func() {
	launch := func(cmd string, limit time.Duration) *conformance.Run {
		start := time.Now()
		r := conformance.Launch{Command: cmd, TimeLimit: limit}.Start(context.Background())
		Expect(time.Since(start)).To(BeNumerically("<", limit+4*time.Second), "the launcher must never hang")
		return r
	}

	It("accepts a run that keeps the contract", func() {
		r := launch(`echo '{"id":"a","status":200}'; echo '{"id":"b","error":"refused"}' ; echo log >&2`, 5*time.Second)
		Expect(r.Problems).To(BeEmpty())
		Expect(r.Results).To(HaveLen(2))
		Expect(r.StderrTail).To(Equal("log\n"))
	})

	DescribeTable("reports a broken run with the stderr tail",
		func(cmd string, limit time.Duration, want string) {
			r := launch(cmd, limit)
			Expect(r.Problems).To(ContainElement(ContainSubstring(want)))
		},
		Entry("non-zero exit", `echo oops >&2; exit 3`, 5*time.Second, "exited with status 3"),
		Entry("crash", `kill -SEGV $$`, 5*time.Second, "crashed"),
		Entry("time limit, whole group killed", `sleep 60 & sleep 60`, 500*time.Millisecond, "did not finish within"),
		Entry("a child keeps stdout open", `(sleep 60 &) ; exit 0`, 5*time.Second, "kept its output open"),
		Entry("not JSON", `echo hello`, 5*time.Second, "not a result object"),
		Entry("result without id", `echo '{"status":200}'`, 5*time.Second, "has no id"),
		Entry("unknown field", `echo '{"id":"a","status":200,"extra":1}'`, 5*time.Second, "not a result object"),
		Entry("neither status nor error", `echo '{"id":"a"}'`, 5*time.Second, "neither status nor error"),
		Entry("command not found", `/no/such/adapter`, 5*time.Second, "exited with status 127"),
	)

	It("keeps only the tail of a chatty stderr", func() {
		r := launch(`i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done`, 10*time.Second)
		Expect(len(r.StderrTail)).To(BeNumerically("<=", 4096))
		Expect(r.StderrTail).To(HaveSuffix("line 1999\n"))
	})

	It("judges a client that prints nothing: every operation's result is missing", func() {
		rep, _, err := suite.Run(context.Background(), conformance.RunConfig{Command: "true", Scenarios: []string{"happy-path"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Failed()).To(ConsistOf(conformance.RunExit))
		o, _ := rep.Outcome(conformance.RunExit)
		// the message names the first missing result; the evidence, without repeating it, the others
		Expect(append(o.Failures[0].Evidence, o.Failures[0].Message)).To(ContainElement(ContainSubstring(`no result for operation "put-trainings"`)))
		Expect(rep.OK()).To(BeFalse(), "a client that did nothing must not pass")
	})
})
