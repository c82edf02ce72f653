package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// tokenUseRules judge how the client uses, keeps and renews its access token.
var tokenUseRules = []Rule{
	{TokenHeader, Must, AreaTokenUse, "The access token goes in the Authorization header, never in the URL", "RFC 6750 §2.1, §5.3; rest-documentation developer guide",
		"every API call carries Authorization: Bearer, and no access_token query parameter", true, judgeHeader},
	{TokenReuse, Should, AreaTokenUse, "A token is reused while it is valid", "RFC 6749 §5.1 (expires_in); client practice: reuse until about 60 s before expiry",
		"no new token is requested while the last one is neither expired nor refused", true, judgeReuse},
	{TokenRenew, Must, AreaTokenUse, "After a 401 the client gets a new token and retries", "RFC 6750 §3.1; Belgif expiredAccessToken/invalidAccessToken",
		"a 401 is followed by a token request and one more call with the new token", true, judgeRenew},
	{TokenRetry, Must, AreaTokenUse, "After a 401, one renewal and one retry, then stop", "RFC 6750 §3.1",
		"at most one renewal and one retry per operation that got a 401", true, judgeRetry401},
}

func judgeHeader(t *Trace) []Finding {
	var out []Finding
	for _, c := range t.apiCalls() {
		a := c.api()
		switch {
		case a.TokenInQuery || queryHasToken(a.Query): // queryHasToken: journals before TokenInQuery
			out = append(out, fail("the access token is in the URL query", apiEvidence(c)...))
		case c.x != nil && !strings.EqualFold(c.x.AuthScheme, "Bearer"):
			out = append(out, fail("the call has no Authorization: Bearer header", apiEvidence(c)...))
		case c.x == nil && a.Fault == "" && a.ProblemType == "urn:problem-type:belgif:noAccessToken":
			out = append(out, fail("the call has no Authorization: Bearer header", apiEvidence(c)...))
		default:
			out = append(out, pass("Authorization: Bearer"))
		}
	}
	return out
}

// grantState follows the access tokens of a trace.
type grantState struct {
	ev      journal.Event
	expires time.Time
	spoiled bool // got a 401
	uses    int
}

func judgeReuse(t *Trace) []Finding {
	var out []Finding
	var cur *grantState
	const margin = 60 * time.Second
	for _, ev := range t.Events {
		switch {
		case ev.Kind == journal.KindToken && ev.Token != nil:
			if cur != nil && !cur.spoiled && ev.Time.Before(cur.expires.Add(-margin)) {
				ev2 := append(tokenEvidence(t, ev), fmt.Sprintf("the token granted by request #%d at %s was valid until %s, used %d time(s), never refused",
					cur.ev.Seq, cur.ev.Time.Format("15:04:05.000"), cur.expires.Format("15:04:05"), cur.uses))
				out = append(out, fail("a new token was requested while the last one was still valid", ev2...))
				cur.spoiled = true // one finding per superfluous token
			}
			if ev.Token.Verdict == journal.VerdictGranted {
				if cur != nil && cur.uses > 1 {
					out = append(out, pass(fmt.Sprintf("token used for %d calls", cur.uses)))
				}
				cur = &grantState{ev: ev, expires: ev.Time.Add(time.Duration(ev.Token.ExpiresIn) * time.Second)}
			}
		case ev.Kind == journal.KindAPI && ev.API != nil && cur != nil:
			a := ev.API
			if a.Fingerprint == cur.ev.Token.Fingerprint || a.Fingerprint == "" {
				if a.Fingerprint != "" {
					cur.uses++
				}
				if a.Status == 401 {
					cur.spoiled = true
				}
			}
		}
	}
	if cur != nil && cur.uses > 1 {
		out = append(out, pass(fmt.Sprintf("token used for %d calls", cur.uses)))
	}
	return out
}

// after401 looks at what followed call k of sequence s.
func judgeRenew(t *Trace) []Finding {
	var out []Finding
	seqs := t.sequences()
	for si, s := range seqs {
		for k, c := range s.calls {
			if c.api().Status != 401 {
				continue
			}
			// A 401 on the retry that followed a renewal ends the
			// operation: TOKEN-RETRY-01 judges what comes after it.
			if k > 0 && s.calls[k-1].api().Status == 401 && len(s.tokens[k-1]) > 0 {
				continue
			}
			toks := s.tokens[k]
			var next *call
			if k+1 < len(s.calls) {
				next = &s.calls[k+1]
			} else if si+1 < len(seqs) {
				next = &seqs[si+1].calls[0]
			}
			ev := apiEvidence(c)
			switch {
			case len(toks) == 0 && next == nil:
				out = append(out, fail("after the 401 the client neither got a new token nor retried", ev...))
			case len(toks) == 0:
				out = append(out, fail("after the 401 the next call came without a new token", append(ev, apiEvidence(*next)...)...))
			case toks[len(toks)-1].Token.Verdict != journal.VerdictGranted:
				out = append(out, pass("renewal attempted after the 401 (refused, so no retry)"))
			case k+1 < len(s.calls):
				fp := toks[len(toks)-1].Token.Fingerprint
				if nf := s.calls[k+1].api().Fingerprint; nf != "" && fp != "" && nf != fp {
					out = append(out, fail("the retry did not use the new token", append(ev, apiEvidence(s.calls[k+1])...)...))
				} else {
					out = append(out, pass("renewed and retried after the 401"))
				}
			default:
				out = append(out, fail("after the 401 the client got a new token but did not retry the call", ev...))
			}
		}
	}
	return out
}

func judgeRetry401(t *Trace) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		n401, failed := 0, false
		for k, c := range s.calls {
			if c.api().Status != 401 {
				continue
			}
			n401++
			if renewals := len(s.tokens[k]); renewals > 1 && k+1 < len(s.calls) {
				out = append(out, fail(fmt.Sprintf("%d token requests between the 401 and the retry; one renewal is enough", renewals), apiEvidence(c)...))
				failed = true
			}
			if n401 >= 2 && k+1 < len(s.calls) {
				var ev []string
				for _, c2 := range s.calls {
					ev = append(ev, apiEvidence(c2)...)
				}
				out = append(out, fail(fmt.Sprintf("the call was retried again after the retry with a renewed token got a 401 too (%d calls)", len(s.calls)), ev...))
				failed = true
				break
			}
		}
		if n401 > 0 && !failed {
			out = append(out, pass(fmt.Sprintf("%d call(s) after %d 401(s)", len(s.calls), n401)))
		}
	}
	return out
}
