package conformance

import (
	"fmt"
)

// tlsRules judge how the client verifies the server.
var tlsRules = []Rule{
	{TLSVerify, Must, AreaTLS, "The client refuses a server certificate it cannot verify", "RFC 6749 §10.9; RFC 9110 §4.3.4",
		"against servers with an untrusted certificate, no token request or API call completes", false, judgeTLS},
}

func judgeTLS(t *Trace) []Finding {
	if !t.Expect.UntrustedTLS {
		return nil
	}
	var ev []string
	for _, e := range t.Events {
		switch {
		case e.Token != nil:
			ev = append(ev, tokenEvidence(t, e)[0])
		case e.API != nil:
			ev = append(ev, apiEvidence(call{ev: e, x: t.exchange(e.Seq)})[0])
		}
	}
	if len(ev) > 0 {
		return []Finding{fail(fmt.Sprintf("%d request(s) completed against servers whose certificate does not chain to %s", len(ev), EnvCAFile), ev...)}
	}
	// Evidence or nothing: a client that never attempted a handshake
	// refused nothing; the rule stays unexercised.
	if t.TLS.Attempts == 0 {
		return nil
	}
	return []Finding{pass(fmt.Sprintf("the client began %d TLS handshake(s) with the untrusted servers and completed no request", t.TLS.Attempts),
		handshakeEvidence(t.TLS)...)}
}

// handshakeEvidence shows each distinct way the handshakes ended, once,
// with its count.
func handshakeEvidence(ev TLSEvidence) []string {
	var order []string
	n := map[string]int{}
	for _, f := range ev.Failures {
		if n[f] == 0 {
			order = append(order, f)
		}
		n[f]++
	}
	out := make([]string, 0, len(order))
	for _, f := range order {
		line := "handshake ended: " + f
		if n[f] > 1 {
			line += fmt.Sprintf(" (×%d)", n[f])
		}
		out = append(out, line)
	}
	return out
}
