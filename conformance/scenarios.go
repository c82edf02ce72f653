package conformance

import (
	"fmt"
	"strings"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/stack"
)

// Env is what a scenario's hooks act on: the mocks of its run.
type Env struct {
	OAuth *mockoauth.Server
	API   *mockfla.Server
}

// Scenario is one run of the client: mocks set up, operations to perform,
// the rules it decides.
type Scenario struct {
	Name string
	Doc  string
	// Client is the identity the client's certificate is registered under.
	Client stack.Identity
	// Scopes, when set, are registered for the client instead of those of
	// its quality.
	Scopes []string
	// AskScopes are the scopes the client is told to ask for
	// (FLAMOCK_SCOPE) and may ask for.
	AskScopes []string
	// APIBase is the base path FLAMOCK_API_URL ends with; the operations'
	// paths are relative to it.
	APIBase string
	Ops     []Operation
	// Decides lists the rules judged in this scenario on top of those
	// judged in every scenario (alwaysJudged).
	Decides []string
	// Exercised are the rules the scenario is built to give a correct
	// client's evidence for, beside the token request and contract rules
	// (see Exercises).
	Exercised []string
	// Setup plants faults and state before the client starts.
	Setup func(Env) error
	// Before runs a hook before the n-th API call (1-based) is served.
	Before map[int]func(Env)
	// Untrusted serves the mocks with a certificate the client cannot
	// verify.
	Untrusted bool
}

// alwaysJudged are decided in every scenario.
var alwaysJudged = []string{
	OAuthForm, OAuthGrant, OAuthAssertion, OAuthSecret, OAuthAlg, OAuthSignature, OAuthIssuer,
	OAuthAudience, OAuthExpiry, OAuthIssuedAt, OAuthJTI, OAuthScope,
	TokenHeader, TokenReuse, TokenRenew, TokenRetry,
	APINoRetry, APIRetryAfter, APIBounded, APIBackoff, APIDetail,
	RunExit, RunResult,
}

func fault(f mockfla.Fault) func(Env) error {
	return func(e Env) error { return e.API.QueueFault(f) }
}

// faultPath matches the operation's path, whatever the base path.
func faultPath(op Operation) string {
	p, _, _ := strings.Cut(op.Path, "?")
	return "*" + p
}

// Scenarios returns the scenarios of a run on the API, in report order:
// plan.Scenarios of NewPlan(api, nil). It panics when api cannot be
// planned (a profile's model without calls): a programming error.
func Scenarios(api *stack.API) []Scenario {
	p, err := NewPlan(api, nil)
	if err != nil {
		panic(err)
	}
	return p.Scenarios
}

// scenarios builds the scenarios from the calls of a plan.
func (b *planner) scenarios() []Scenario {
	happy := b.happy
	putA, getA := happy[0], happy[len(happy)-1]
	expire := func(e Env) { e.OAuth.ExpireTokens() }
	revoke := func(e Env) { e.OAuth.RevokeTokens() }
	f := fault(mockfla.Fault{Method: putA.Method, Path: faultPath(putA), Status: 429, RetryAfter: time.Second})
	var out []Scenario
	add := func(sc Scenario, exercised ...string) {
		out = append(out, b.scenario(sc, exercised...))
	}
	reuse := []string{TokenHeader, TokenReuse}
	if len(happy) == 1 {
		reuse = reuse[:1]
	}
	add(Scenario{Name: "happy-path", Doc: b.happyDoc(), Ops: happy, Decides: b.valid()}, b.validExercised(reuse...)...)
	if len(b.several) > 0 {
		add(Scenario{Name: "several-operations", Doc: count(len(b.several)) + " calls in one process: one token serves them all",
			Ops: b.several, Decides: b.valid()}, b.validExercised(TokenHeader, TokenReuse)...)
	}
	// The token fails before the second call, or before the only secured one.
	if second := b.tokenCall(); second > 0 {
		renew := b.validExercised(TokenHeader, TokenRenew, TokenRetry)
		add(Scenario{Name: "token-expiry", Doc: "the token expires between two calls (mockoauth ExpireTokens): renew and retry once",
			Ops: happy, Decides: b.valid(), Before: map[int]func(Env){second: expire}}, renew...)
		add(Scenario{Name: "token-revoked", Doc: "a still-valid token is refused with 401 invalid_token: renew and retry once",
			Ops: happy, Decides: b.valid(), Before: map[int]func(Env){second: revoke}}, renew...)
		add(Scenario{Name: "persistent-401", Doc: "the renewed token is refused too: stop after one renewal and one retry",
			Ops: happy, Decides: b.valid(), Before: map[int]func(Env){second: revoke, second + 1: revoke}}, renew...)
	}
	add(Scenario{Name: "too-many-requests", Doc: "429 with Retry-After: 1: wait, then retry",
		Ops: happy, Decides: b.valid(), Setup: f}, b.validExercised(TokenHeader, APIRetryAfter, APIBounded)...)
	add(Scenario{Name: "service-unavailable", Doc: "503 with Retry-After: 1, more times in a row than the retry bound allows: wait, retry a few times, then report the 503",
		Ops: happy, Decides: b.valid(),
		Setup: fault(mockfla.Fault{Method: putA.Method, Path: faultPath(putA), Status: 503, RetryAfter: time.Second, Count: MaxRetries + 2})},
		b.validExercised(TokenHeader, APIRetryAfter, APIBounded, APIDetail)...)
	add(Scenario{Name: "server-error", Doc: "500 on every attempt: a few retries with back-off, then the 500 is reported",
		Ops: happy, Decides: b.valid(), Setup: fault(mockfla.Fault{Method: putA.Method, Path: faultPath(putA), Status: 500, Count: 6})},
		b.validExercised(TokenHeader, APIBackoff, APIDetail)...)
	for _, r := range []*refusal{b.invalid, b.tenant, b.wrongScope} {
		if r != nil {
			add(Scenario{Name: r.name, Doc: r.doc, Scopes: r.scopes, Ops: r.ops}, TokenHeader, APINoRetry, APIDetail)
		}
	}
	for _, fl := range b.flows {
		add(fl, b.validExercised(TokenHeader)...)
	}
	add(Scenario{Name: "untrusted-tls", Doc: "the servers present a certificate that does not chain to FLAMOCK_CA_FILE: nothing may complete",
		Ops: []Operation{getA}, Decides: []string{TLSVerify}, Untrusted: true}, TLSVerify)
	return out
}

// tokenCall is the happy path's call (1-based) before which the token
// fails: the second, or the only one that needs a token; 0 when none does
// (a 401 cannot happen: the token scenarios are not built).
func (b *planner) tokenCall() int {
	for i := len(b.happy) - 1; i >= 0; i-- {
		if op, _ := b.api.Operation(b.happy[i].OperationID); op.Secured {
			return i + 1
		}
	}
	return 0
}

func (b *planner) happyDoc() string {
	if d := b.api.Conformance.Doc; d != "" && b.chosen == nil {
		return d
	}
	var ids []string
	for _, op := range b.happy {
		ids = append(ids, op.OperationID)
	}
	return "get a token, then " + strings.Join(ids, ", then ")
}

// scenario fills in the client, its scopes and the base path.
func (b *planner) scenario(sc Scenario, exercised ...string) Scenario {
	if sc.Client.ClientID == "" {
		sc.Client = b.api.Conformance.Client
	}
	sc.AskScopes = sc.Scopes
	if sc.AskScopes == nil {
		sc.AskScopes = b.scopesOf(sc.Client)
	}
	sc.APIBase, sc.Ops = b.base(sc.Ops)
	sc.Exercised = exercised
	return sc
}

// valid are the rules decided where the suite gave only valid, permitted
// operations: whatever the mock refuses there, the client composed. The
// identifier and tenant rules only where the API has them.
func (b *planner) valid() []string {
	out := []string{APISchema}
	if b.identifiers {
		out = append(out, APIIdentifier)
	}
	if b.api.Conformance.Tenant != nil {
		out = append(out, APITenant)
	}
	return out
}

func (b *planner) validExercised(rules ...string) []string {
	return append(rules, b.valid()...)
}

func (s Scenario) rules() map[string]bool {
	m := map[string]bool{}
	for _, r := range alwaysJudged {
		m[r] = true
	}
	for _, r := range s.Decides {
		m[r] = true
	}
	return m
}

func (s Scenario) validate() error {
	for _, op := range s.Ops {
		if err := op.validate(); err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	return nil
}

// count writes a small number as a word.
func count(n int) string {
	if words := strings.Fields("zero one two three four five six seven eight nine ten"); n < len(words) {
		return words[n]
	}
	return fmt.Sprint(n)
}
