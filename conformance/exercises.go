package conformance

import "slices"

// tokenRequestIDs are the rules every token request decides.
var tokenRequestIDs = []string{
	OAuthForm, OAuthGrant, OAuthAssertion, OAuthSecret, OAuthAlg, OAuthSignature, OAuthIssuer,
	OAuthAudience, OAuthExpiry, OAuthIssuedAt, OAuthJTI, OAuthScope,
}

// Exercises returns the rules the scenario is built to exercise: its own,
// plus the token request rules (every scenario but untrusted-tls gets a
// token) and the adapter contract.
func (s Scenario) Exercises() []string {
	out := slices.Clone(s.Exercised)
	if !s.Untrusted {
		out = append(out, tokenRequestIDs...)
	}
	return append(out, RunExit, RunResult)
}
