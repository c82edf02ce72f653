package conformance

import "slices"

// tokenRequestIDs are the rules every token request decides.
var tokenRequestIDs = []string{
	OAuthForm, OAuthGrant, OAuthAssertion, OAuthSecret, OAuthAlg, OAuthSignature, OAuthIssuer,
	OAuthAudience, OAuthExpiry, OAuthIssuedAt, OAuthJTI, OAuthScope,
}

// scenarioExercises lists, per scenario, the rules it is built to give a
// correct client's evidence for. `--scenario` judges only these: a rule
// no chosen scenario exercises is left out, not counted as unexercised.
var scenarioExercises = map[string][]string{
	"happy-path":          {TokenHeader, TokenReuse, APISchema, APIIdentifier, APITenant},
	"several-operations":  {TokenHeader, TokenReuse, APISchema, APIIdentifier, APITenant},
	"token-expiry":        {TokenHeader, TokenRenew, TokenRetry, APISchema, APIIdentifier, APITenant},
	"token-revoked":       {TokenHeader, TokenRenew, TokenRetry, APISchema, APIIdentifier, APITenant},
	"persistent-401":      {TokenHeader, TokenRenew, TokenRetry, APISchema, APIIdentifier, APITenant},
	"too-many-requests":   {TokenHeader, APIRetryAfter, APIBounded, APISchema, APIIdentifier, APITenant},
	"service-unavailable": {TokenHeader, APIRetryAfter, APIBounded, APIDetail, APISchema, APIIdentifier, APITenant},
	"server-error":        {TokenHeader, APIBackoff, APIDetail, APISchema, APIIdentifier, APITenant},
	"validation-error":    {TokenHeader, APINoRetry, APIDetail},
	"unmandated-employer": {TokenHeader, APINoRetry, APIDetail},
	"wrong-scope-quality": {TokenHeader, APINoRetry, APIDetail},
	"training-provider":   {TokenHeader, APISchema, APIIdentifier, APITenant},
	"untrusted-tls":       {TLSVerify},
}

// Exercises returns the rules the scenario is built to exercise: its own,
// plus the token request rules (every scenario but untrusted-tls gets a
// token) and the adapter contract.
func (s Scenario) Exercises() []string {
	out := slices.Clone(scenarioExercises[s.Name])
	if !s.Untrusted {
		out = append(out, tokenRequestIDs...)
	}
	return append(out, RunExit, RunResult)
}
