package conformance

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// apiRules judge the client's API calls: what it sends, what it retries, what it reports.
var apiRules = []Rule{
	{APISchema, Must, AreaAPI, "Every request is valid against the spec", "the OpenAPI document; Belgif badRequest",
		"the mock's route and schema layers accept each call the client composed", true, judgeLayer("the request", "route", "body", "schema")},
	{APIIdentifier, Must, AreaAPI, "SSINs and enterprise numbers are valid", "Belgif person and organization identifiers (mod 97)",
		"the mock's identifier layer accepts each call the client composed", true, judgeLayer("the identifiers", "identifiers")},
	{APITenant, Must, AreaAPI, "Only employers the client may act for", "seed §2.2 (mandate); Belgif missingPermission",
		"no call is refused with missingPermission when the client was given only permitted employers", true, judgeTenant},
	{APINoRetry, Must, AreaAPI, "No retry of a 400, 403 or 404", "RFC 9110 §15.5", "the same call is not repeated after a 400, 403 or 404", true, judgeNoRetry},
	{APIRetryAfter, Must, AreaAPI, "429 and 503 are honoured with Retry-After", "RFC 9110 §10.2.3; RFC 6585 §4; Belgif tooManyRequests",
		"a retry comes no sooner than Retry-After seconds after the 429 or 503", true, judgeRetryAfter},
	{APIBounded, Must, AreaAPI, "Retries of 429 and 503 are bounded", "RFC 9110 §10.2.3", "at most 3 retries of one call", true, judgeBounded},
	{APIBackoff, Must, AreaAPI, "A 500 is retried a bounded number of times, with exponential back-off", "RFC 9110 §15.6.1",
		"at most 3 retries of one call; each retry at least 100 ms after the answer it follows, and the k-th retry at least 100 ms × (2^k − 1) after the first 500 (100, 300, 700 ms); jitter may lengthen waits, never bring a retry under these bounds; waits that shrink at every retry (each at most 3/4 of the one before, the first over 3 times the last) are not back-off", true, judgeBackoff},
	{APIDetail, Must, AreaAPI, "The problem's detail is surfaced to the caller", "RFC 9457 §3.1.4; Belgif problems",
		"the client's result of an operation that got a problem holds its detail and the detail of each issue", false, judgeDetail},
}

func judgeLayer(what string, layers ...string) judge {
	return func(t *Trace) []Finding {
		var out []Finding
		for _, c := range t.apiCalls() {
			for _, l := range c.api().Layers {
				if !slices.Contains(layers, l.Name) {
					continue
				}
				if l.Verdict == "fail" {
					out = append(out, fail(what+" of the call did not pass the mock's "+l.Name+" check", apiEvidence(c)...))
				} else {
					out = append(out, pass(l.Name+" passed"))
				}
			}
		}
		return out
	}
}

func judgeTenant(t *Trace) []Finding {
	var out []Finding
	for _, c := range t.apiCalls() {
		a := c.api()
		for _, l := range a.Layers {
			if l.Name != "tenant" {
				continue
			}
			if l.Verdict == "fail" {
				out = append(out, fail("the client called for an employer it may not act for", apiEvidence(c)...))
			} else {
				out = append(out, pass("tenant "+l.Detail))
			}
		}
	}
	return out
}

func isRetriable(status int) bool { return status == 429 || status == 503 }
func isServerErr(status int) bool { return status == 500 || status == 502 || status == 504 }

func judgeNoRetry(t *Trace) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		for k, c := range s.calls {
			st := c.api().Status
			if st != 400 && st != 403 && st != 404 {
				continue
			}
			if k+1 < len(s.calls) {
				var ev []string
				for _, c2 := range s.calls[k:] {
					ev = append(ev, apiEvidence(c2)...)
				}
				out = append(out, fail(fmt.Sprintf("the call was repeated after a %d (%d more time(s))", st, len(s.calls)-k-1), ev...))
			} else {
				out = append(out, pass(fmt.Sprintf("%d not retried", st)))
			}
			break
		}
	}
	return out
}

// retryAfter returns the Retry-After of a call's answer, in seconds.
func retryAfter(c call) (float64, bool) {
	if c.x != nil && c.x.RetryAfter != "" {
		var n float64
		if _, err := fmt.Sscan(c.x.RetryAfter, &n); err == nil {
			return n, true
		}
		if at, err := time.Parse(time.RFC1123, c.x.RetryAfter); err == nil {
			return at.Sub(c.end()).Seconds(), true
		}
	}
	if f := c.api().Fault; f != "" {
		if i := strings.Index(f, "Retry-After "); i >= 0 {
			var n float64
			if _, err := fmt.Sscan(f[i+len("Retry-After "):], &n); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

func judgeRetryAfter(t *Trace) []Finding {
	var out []Finding
	const tolerance = 100 * time.Millisecond
	for _, s := range t.sequences() {
		for k, c := range s.calls {
			if !isRetriable(c.api().Status) {
				continue
			}
			ra, ok := retryAfter(c)
			if k+1 >= len(s.calls) {
				if k == 0 { // not a retry that ran out: the client chose not to retry
					out = append(out, pass(fmt.Sprintf("got a %d%s and did not retry it: nothing to honour", c.api().Status, retryAfterText(ra, ok))))
				}
				continue
			}
			if !ok {
				continue
			}
			next := s.calls[k+1]
			gap := next.start().Sub(c.end())
			want := time.Duration(ra * float64(time.Second))
			if gap+tolerance < want {
				out = append(out, fail(fmt.Sprintf("retried %s after a %d with Retry-After %gs", gap.Round(time.Millisecond), c.api().Status, ra),
					append(apiEvidence(c), apiEvidence(next)...)...))
			} else {
				out = append(out, pass(fmt.Sprintf("waited %s for Retry-After %gs", gap.Round(time.Millisecond), ra)))
			}
		}
	}
	return out
}

func retryAfterText(ra float64, ok bool) string {
	if !ok {
		return " without Retry-After"
	}
	return fmt.Sprintf(" with Retry-After %gs", ra)
}

func judgeBounded(t *Trace) []Finding {
	return judgeRetryCount(t, isRetriable, "429 or 503")
}

func judgeRetryCount(t *Trace, match func(int) bool, what string) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		retries, seen := 0, false
		for k, c := range s.calls {
			if !match(c.api().Status) {
				continue
			}
			seen = true
			if k+1 < len(s.calls) {
				retries++
			}
		}
		if !seen {
			continue
		}
		if retries > MaxRetries {
			var ev []string
			for _, c := range s.calls {
				ev = append(ev, apiEvidence(c)...)
			}
			out = append(out, fail(fmt.Sprintf("%d retries after %s; at most %d", retries, what, MaxRetries), ev...))
		} else {
			out = append(out, pass(fmt.Sprintf("%d retries after %s", retries, what)))
		}
	}
	return out
}

// backoffFloor is the least time from the end of the first 500 answer of
// a call to the start of its k-th retry: MinBackoffMillis × (2^k − 1), what
// exponential back-off from MinBackoffMillis (100, 200, 400 ms) adds up to.
// Jitter that only adds to each wait, or draws it from [d, 2d] or [d/2, d]
// with d = 200, 400, 800 ms, stays above it.
func backoffFloor(k int) time.Duration {
	k = min(k, MaxRetries)
	return time.Duration((1<<k)-1) * MinBackoffMillis * time.Millisecond
}

// shrinking tells a series of waits that shrinks like no back-off does:
// at least three waits, each at most 3/4 of the one before, the first more
// than 3 times the last. Exponential back-off and equal jitter (a draw from
// [d/2, d] with d doubling) never shrink; decorrelated jitter (a draw from
// [base, 3 × the last wait]) starts at most 3 times its base and never
// goes under it; a loaded machine only lengthens waits, so a client that
// grows its waits shows at most an early wait stretched, not a steady fall.
func shrinking(gaps []time.Duration) bool {
	if len(gaps) < 3 || gaps[0] <= 3*gaps[len(gaps)-1] {
		return false
	}
	for i := 1; i < len(gaps); i++ {
		if 4*gaps[i] > 3*gaps[i-1] {
			return false
		}
	}
	return true
}

// judgeBackoff bounds the retries of a call that got a server error, and
// holds each retry to lower bounds only: the harness sees a retry no
// sooner than the client sent it, so a loaded machine can only make the
// waits look longer, never shorter.
func judgeBackoff(t *Trace) []Finding {
	out := judgeRetryCount(t, isServerErr, "a server error")
	for _, s := range t.sequences() {
		var first time.Time
		k := 0
		var bad *Finding
		var waits []string
		var gaps []time.Duration
		for i, c := range s.calls {
			if !isServerErr(c.api().Status) || i+1 >= len(s.calls) {
				continue
			}
			next := s.calls[i+1]
			if first.IsZero() {
				first = c.end()
			}
			k++
			gap, since := next.start().Sub(c.end()), next.start().Sub(first)
			waits = append(waits, gap.Round(time.Millisecond).String())
			gaps = append(gaps, gap)
			if bad != nil {
				continue
			}
			ev := append(apiEvidence(c), apiEvidence(next)...)
			switch {
			case gap < MinBackoffMillis*time.Millisecond:
				f := fail(fmt.Sprintf("retry %d came %s after a %d; wait at least %d ms before each retry", k, gap.Round(time.Millisecond), c.api().Status, MinBackoffMillis), ev...)
				bad = &f
			case since < backoffFloor(k):
				var all []string
				for _, c2 := range s.calls[:i+2] {
					all = append(all, apiEvidence(c2)...)
				}
				f := fail(fmt.Sprintf("retry %d came %s after the first server error; exponential back-off (%d ms, doubling) waits at least %s in all before it",
					k, since.Round(time.Millisecond), MinBackoffMillis, backoffFloor(k)), all...)
				bad = &f
			}
		}
		if bad == nil && shrinking(gaps) {
			var all []string
			for _, c := range s.calls {
				all = append(all, apiEvidence(c)...)
			}
			f := fail(fmt.Sprintf("the waits shrank at every retry (%s): exponential back-off makes them grow, and jitter (equal or decorrelated) does not shrink them steadily like this",
				strings.Join(waits, ", ")), all...)
			bad = &f
		}
		switch {
		case bad != nil:
			out = append(out, *bad)
		case k > 0:
			out = append(out, pass(fmt.Sprintf("backed off %s before %d retr(ies)", strings.Join(waits, ", "), k)))
		}
	}
	return out
}

func judgeDetail(t *Trace) []Finding {
	results := t.results()
	if results == nil {
		return nil
	}
	var out []Finding
	calls := t.opCalls()
	for _, op := range t.Ops {
		s, r := calls[op.ID], results[op.ID]
		if s == nil || r.ID == "" {
			continue
		}
		last := s.last()
		if last.x == nil || last.api().Status < 400 || len(last.x.Body) == 0 || (r.Status == 0 && s.endsOnTokenRefusal()) {
			continue
		}
		want := problemDetails(last.x.Body) // a Belgif problem, or the API's own error model
		if len(want) == 0 {
			continue
		}
		have := jsonStrings(r.Body)
		var missing []string
		for _, w := range want {
			if !slices.ContainsFunc(have, func(h string) bool { return strings.Contains(h, w) }) {
				missing = append(missing, w)
			}
		}
		ev := append(apiEvidence(last), "result: "+clip(compactResult(r), 400))
		if len(missing) > 0 {
			out = append(out, fail(fmt.Sprintf("operation %s: the result lacks %d of the problem's %d detail text(s), e.g. %q", op.ID, len(missing), len(want), clip(missing[0], 120)), ev...))
		} else {
			out = append(out, pass(fmt.Sprintf("operation %s: detail surfaced", op.ID)))
		}
	}
	return out
}

// jsonStrings collects every string in a JSON value (the value itself
// when it is not JSON).
func jsonStrings(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return []string{string(raw)}
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
