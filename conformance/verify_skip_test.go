package conformance_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
)

var _ = Describe("conformance.Verify: events that are neither a token request nor an API call", Label("verify"), func() {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	token := journal.Event{Seq: 1, Time: at, Kind: "token", Token: &journal.Token{ClientID: "c", Verdict: journal.VerdictGranted, Status: 200,
		Claims: map[string]any{"iss": "c", "sub": "c", "aud": "https://x/REST/oauth/v5/token", "exp": float64(at.Add(5 * time.Minute).Unix()), "iat": float64(at.Unix()), "jti": "j"},
		Header: map[string]any{"alg": "RS256"}}}
	api := journal.Event{Seq: 3, Time: at.Add(time.Second), Kind: "api", API: &journal.API{Method: "GET", Path: "/REST/x", Verdict: "ok", Status: 200, ClientID: "c"}}
	verdicts := func(rep *conformance.Report) map[string]conformance.Status {
		m := map[string]conformance.Status{}
		for _, o := range rep.Outcomes {
			m[o.Rule.ID] = o.Status
		}
		return m
	}

	for _, clientID := range []string{"", "c"} {
		It("skips them with a note naming each and judges the rest as without them (client "+clientID+")", func() {
			cfg := conformance.VerifyConfig{ClientID: clientID, TokenURL: "https://x/REST/oauth/v5/token", Now: now}
			with := conformance.Verify([]journal.Event{token, {Seq: 2}, api, {Seq: 4, Kind: "api"}}, cfg)
			without := conformance.Verify([]journal.Event{token, api}, cfg)
			Expect(with.Notes).To(Equal([]string{"2 event(s) neither a token request nor an API call, not judged: event 2 (seq 2), 4 (seq 4)"}))
			Expect(without.Notes).To(BeEmpty())
			Expect(verdicts(with)).To(Equal(verdicts(without)))
			Expect(with.Unattributed).To(BeEmpty())
		})
	}

	It("says so when nothing else is left, and names at most ten", func() {
		evs := make([]journal.Event, 12)
		for i := range evs {
			evs[i].Seq = uint64(i + 1)
		}
		rep := conformance.Verify(evs, conformance.VerifyConfig{Now: now})
		Expect(rep.Notes).To(Equal([]string{"12 event(s) neither a token request nor an API call, not judged: event " +
			"1 (seq 1), 2 (seq 2), 3 (seq 3), 4 (seq 4), 5 (seq 5), 6 (seq 6), 7 (seq 7), 8 (seq 8), 9 (seq 9), 10 (seq 10), … and 2 more"}))
		Expect(rep.Failed()).To(BeEmpty())
		rep = conformance.Verify(evs[:1], conformance.VerifyConfig{ClientID: "c", Now: now})
		Expect(rep.Notes).To(Equal([]string{"1 event(s) neither a token request nor an API call, not judged: event 1 (seq 1)",
			`the journal holds no event of client "c"`}))
	})
})
