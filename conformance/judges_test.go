package conformance_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
)

// events builds a journal by hand: what a vendor's own tests recorded.
type events struct {
	t0  time.Time
	seq uint64
	evs []journal.Event
}

func newEvents() *events { return &events{t0: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

// token adds a granted token request at offset at, with these claims.
func (e *events) token(at time.Duration, claims map[string]any) *events {
	e.seq++
	e.evs = append(e.evs, journal.Event{Seq: e.seq, Time: e.t0.Add(at), Kind: journal.KindToken, Token: &journal.Token{
		Method: "POST", ContentType: "application/x-www-form-urlencoded", ClientID: "c1",
		GrantType: "client_credentials", AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		Header: map[string]any{"alg": "RS256", "typ": "JWT"}, Claims: claims,
		Verdict: journal.VerdictGranted, Status: 200, Fingerprint: "fp1", ExpiresIn: 600,
	}})
	return e
}

// call adds an API call answered at offset at after 2 ms of handling.
func (e *events) call(at time.Duration, status int) *events {
	e.seq++
	verdict := journal.VerdictOK
	if status >= 400 {
		verdict = journal.VerdictRejected
	}
	e.evs = append(e.evs, journal.Event{Seq: e.seq, Time: e.t0.Add(at), Kind: journal.KindAPI, API: &journal.API{
		Method: "PUT", Path: "/REST/careerpro-fla/v1/employers/0566988259/employees/85073003328/calendarYears/2024/trainings",
		ClientID: "c1", Fingerprint: "fp1", Verdict: verdict, Status: status, DurationMS: 2,
	}})
	return e
}

// retries adds a 500, then one retry per wait (each after the answer
// before it), the last one answered 200.
func (e *events) retries(waits ...time.Duration) *events {
	at := 100 * time.Millisecond
	e.call(at, 500)
	for i, w := range waits {
		at += w + 2*time.Millisecond
		if i == len(waits)-1 {
			e.call(at, 200)
		} else {
			e.call(at, 500)
		}
	}
	return e
}

func claims(at time.Time, extra map[string]any) map[string]any {
	c := map[string]any{"iss": "c1", "sub": "c1", "aud": "https://127.0.0.1/REST/oauth/v5/token", "jti": "j-" + at.String(),
		"exp": float64(at.Add(5 * time.Minute).Unix())}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func verdictOn(e *events, rule string) (conformance.Status, string) {
	rep := conformance.Verify(e.evs, conformance.VerifyConfig{ClientID: "c1"})
	o, ok := rep.Outcome(rule)
	Expect(ok).To(BeTrue())
	msg := o.Reason
	if len(o.Failures) > 0 {
		msg = o.Failures[0].Message
	}
	return o.Status, msg
}

var _ = Describe("the judges, on recorded traffic", Label("judges"), func() {
	t0 := newEvents().t0

	DescribeTable("OAUTH-IAT-01 and OAUTH-EXP-01: iat is optional (RFC 7523 §3 item 6; the seed's example has none)",
		func(extra map[string]any, iat, exp conformance.Status) {
			e := newEvents().token(0, claims(t0, extra)).call(time.Second, 200)
			got, msg := verdictOn(e, conformance.OAuthIssuedAt)
			Expect(got).To(Equal(iat), msg)
			got, msg = verdictOn(e, conformance.OAuthExpiry)
			Expect(got).To(Equal(exp), msg)
		},
		Entry("the seed's claims: no iat, exp 5 minutes ahead", nil, conformance.Pass, conformance.Pass),
		Entry("iat now", map[string]any{"iat": float64(t0.Unix())}, conformance.Pass, conformance.Pass),
		Entry("iat 5 minutes ahead", map[string]any{"iat": float64(t0.Add(5 * time.Minute).Unix())}, conformance.Fail, conformance.Pass),
		Entry("iat not a NumericDate", map[string]any{"iat": "now"}, conformance.Fail, conformance.Pass),
		Entry("no iat, exp an hour ahead of the request", map[string]any{"exp": float64(t0.Add(time.Hour).Unix())}, conformance.Pass, conformance.Fail),
		Entry("no iat, exp 10 minutes and 30 s ahead (within the clock skew)", map[string]any{"exp": float64(t0.Add(630 * time.Second).Unix())}, conformance.Pass, conformance.Pass),
	)

	DescribeTable("API-BACKOFF-01: exponential back-off, with or without jitter, passes; immediate or fixed tight retries fail",
		func(want conformance.Status, waits ...time.Duration) {
			e := newEvents().token(0, claims(t0, nil)).retries(waits...)
			got, msg := verdictOn(e, conformance.APIBackoff)
			Expect(got).To(Equal(want), msg)
		},
		Entry("150, 300, 600 ms", conformance.Pass, 150*time.Millisecond, 300*time.Millisecond, 600*time.Millisecond),
		Entry("100, 200, 400 ms: exactly the floor", conformance.Pass, 100*time.Millisecond, 200*time.Millisecond, 400*time.Millisecond),
		// The old judge failed these: "the wait shrank".
		Entry("jittered: 300, 220 ms (a shorter second wait)", conformance.Pass, 300*time.Millisecond, 220*time.Millisecond),
		Entry("jittered: 921, 728 ms (the measurement of issue 11)", conformance.Pass, 921*time.Millisecond, 728*time.Millisecond),
		Entry("jittered from [d/2, d], d = 200, 400, 800 ms: the lowest draws", conformance.Pass, 100*time.Millisecond, 200*time.Millisecond, 400*time.Millisecond),
		Entry("immediate", conformance.Fail, 5*time.Millisecond, 5*time.Millisecond),
		Entry("fixed 110 ms, 3 retries", conformance.Fail, 110*time.Millisecond, 110*time.Millisecond, 110*time.Millisecond),
		Entry("fixed 150 ms, 2 retries: 300 ms in all, at the floor", conformance.Pass, 150*time.Millisecond, 150*time.Millisecond),
		Entry("fixed 100 ms, 2 retries", conformance.Fail, 100*time.Millisecond, 100*time.Millisecond),
		Entry("shrinking: 400, 200, 100 ms", conformance.Fail, 400*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond),
		Entry("shrinking: 1600, 800, 400 ms (above every floor)", conformance.Fail, 1600*time.Millisecond, 800*time.Millisecond, 400*time.Millisecond),
		Entry("equal jitter, d = 200, 400, 800 ms: 190, 230, 610 ms", conformance.Pass, 190*time.Millisecond, 230*time.Millisecond, 610*time.Millisecond),
		Entry("decorrelated jitter, base 200 ms: 550, 380, 260 ms (each draw from [200, 3 × the last])", conformance.Pass, 550*time.Millisecond, 380*time.Millisecond, 260*time.Millisecond),
		Entry("a loaded machine stretched the first wait: 900, 200, 400 ms", conformance.Pass, 900*time.Millisecond, 200*time.Millisecond, 400*time.Millisecond),
		Entry("a loaded machine stretched the first two waits: 1500, 500, 400 ms", conformance.Pass, 1500*time.Millisecond, 500*time.Millisecond, 400*time.Millisecond),
		Entry("exponential but 4 retries", conformance.Fail, 100*time.Millisecond, 200*time.Millisecond, 400*time.Millisecond, 800*time.Millisecond),
	)

	It("API-RETRYAFTER-01 says what happened when a 429 was not retried", func() {
		e := newEvents().token(0, claims(t0, nil))
		e.call(time.Second, 429)
		got, msg := verdictOn(e, conformance.APIRetryAfter)
		Expect(got).To(Equal(conformance.Pass))
		Expect(msg).To(ContainSubstring("did not retry"))
		Expect(msg).NotTo(ContainSubstring("no scenario exercised it"))
	})
})
