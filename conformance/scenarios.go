package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/fla"
)

// Identities the suite registers the client's certificate under (the FLA
// profile's conformance identities).
const (
	ProviderClientID         = fla.ConformanceProviderClientID
	ProviderNumber           = fla.ConformanceProviderNumber // the mandatary's enterprise number
	TrainingProviderClientID = fla.ConformanceTrainingProviderClientID
	TrainingProviderNumber   = fla.ConformanceTrainingProviderNumber
	MandatedEmployer         = fla.ConformanceMandatedEmployer   // gave the provider an FLA mandate
	UnmandatedEmployer       = fla.ConformanceUnmandatedEmployer // did not
)

// Test data: valid SSINs (domain.md §5) and the year of the operations.
const (
	ssinA = "85073003328"
	ssinB = "93051822361"
	year  = "2024"
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
	// Quality is the client's identity: mockoauth's quality name.
	Quality string
	// Scopes overrides the scopes registered for the client (and the
	// FLAMOCK_SCOPE it is given).
	Scopes []string
	Ops    []Operation
	// Decides lists the rules judged in this scenario on top of those
	// judged in every scenario (alwaysJudged).
	Decides []string
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

// validCalls are decided where the suite gave only valid, permitted
// operations: whatever the mock refuses there, the client composed.
var validCalls = []string{APISchema, APIIdentifier, APITenant}

func trainingsPath(employer, ssin string) string {
	return "/employers/" + employer + "/employees/" + ssin + "/calendarYears/" + year + "/trainings"
}

func employeePath(employer, ssin, leaf string) string {
	return "/employers/" + employer + "/employees/" + ssin + "/calendarYears/" + year + "/" + leaf
}

const validTrainings = `{"trainings":[{"reference":"FS-2024-03","name":"Fire safety","startDate":"2024-03-04","endDate":"2024-03-04",` +
	`"duration":{"value":4,"unit":"hours"},"status":"completed","trainingType":"formal","certificate":{"received":true,"validUntil":"2027-03-04"}}]}`

// invalidTrainings breaks the schema in several places at once.
const invalidTrainings = `{"trainings":[{"name":"","startDate":"2024-13-01","endDate":"2024-03-01",` +
	`"duration":{"value":-1,"unit":"weeks"},"status":"done","trainingType":"formal"}]}`

const providerTraining = `{"name":"Forklift driver certificate","startDate":"2024-07-01","endDate":"2024-07-03",` +
	`"duration":{"value":21,"unit":"hours"},"trainingType":"formal","participants":[` +
	`{"ssin":"85073003328","employerId":"0566988259","status":"completed","certificate":{"received":true,"validUntil":"2029-07-03"}}]}`

func put(id, opID, path, body string) Operation {
	return Operation{ID: id, OperationID: opID, Method: http.MethodPut, Path: path, Body: json.RawMessage(body)}
}

func get(id, opID, path string) Operation {
	return Operation{ID: id, OperationID: opID, Method: http.MethodGet, Path: path}
}

func fault(f mockfla.Fault) func(Env) error {
	return func(e Env) error { return e.API.QueueFault(f) }
}

// Scenarios returns the suite's scenarios, in report order.
func Scenarios() []Scenario {
	putA := put("put-trainings", "putTrainings", trainingsPath(MandatedEmployer, ssinA), validTrainings)
	getA := get("get-trainings", "getTrainings", trainingsPath(MandatedEmployer, ssinA))
	expire := func(e Env) { e.OAuth.ExpireTokens() }
	revoke := func(e Env) { e.OAuth.RevokeTokens() }
	return []Scenario{
		{
			Name: "happy-path", Doc: "get a token, PUT the trainings of an employee, GET them back",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
		},
		{
			Name: "several-operations", Doc: "five calls in one process: one token serves them all",
			Quality: fla.QualityProvider, Decides: validCalls,
			Ops: []Operation{
				put("put-trainings", "putTrainings", trainingsPath(MandatedEmployer, ssinB), validTrainings),
				get("get-trainings", "getTrainings", trainingsPath(MandatedEmployer, ssinB)),
				put("put-rights", "putTrainingRights", employeePath(MandatedEmployer, ssinB, "trainingRights"), `{"rightDays":5,"basis":"statutory"}`),
				get("get-rights", "getTrainingRights", employeePath(MandatedEmployer, ssinB, "trainingRights")),
				get("get-credit", "getTrainingCredit", employeePath(MandatedEmployer, ssinB, "trainingCredit")),
			},
		},
		{
			Name: "token-expiry", Doc: "the token expires between two calls (mockoauth ExpireTokens): renew and retry once",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Before: map[int]func(Env){2: expire},
		},
		{
			Name: "token-revoked", Doc: "a still-valid token is refused with 401 invalid_token: renew and retry once",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Before: map[int]func(Env){2: revoke},
		},
		{
			Name: "persistent-401", Doc: "the renewed token is refused too: stop after one renewal and one retry",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Before: map[int]func(Env){2: revoke, 3: revoke},
		},
		{
			Name: "too-many-requests", Doc: "429 with Retry-After: 1: wait, then retry",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Setup: fault(mockfla.Fault{Method: http.MethodPut, Path: "*" + putA.Path, Status: 429, RetryAfter: time.Second}),
		},
		{
			Name: "service-unavailable", Doc: "503 with Retry-After: 1, more times in a row than the retry bound allows: wait, retry a few times, then report the 503",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Setup: fault(mockfla.Fault{Method: http.MethodPut, Path: "*" + putA.Path, Status: 503, RetryAfter: time.Second, Count: MaxRetries + 2}),
		},
		{
			Name: "server-error", Doc: "500 on every attempt: a few retries with back-off, then the 500 is reported",
			Quality: fla.QualityProvider, Ops: []Operation{putA, getA}, Decides: validCalls,
			Setup: fault(mockfla.Fault{Method: http.MethodPut, Path: "*" + putA.Path, Status: 500, Count: 6}),
		},
		{
			Name: "validation-error", Doc: "a body with several schema violations: 400 with issues, not retried, every detail reported",
			Quality: fla.QualityProvider,
			Ops: []Operation{
				put("put-invalid", "putTrainings", trainingsPath(MandatedEmployer, ssinA), invalidTrainings),
				getA,
			},
		},
		{
			Name: "unmandated-employer", Doc: "a call for an employer that gave the client no mandate: 403 reported, not retried",
			Quality: fla.QualityProvider,
			Ops: []Operation{
				put("put-unmandated", "putTrainings", trainingsPath(UnmandatedEmployer, ssinA), validTrainings),
				getA,
			},
		},
		{
			Name: "wrong-scope-quality", Doc: "the client's token carries the training-provider scope only: 403 missingScope reported, not retried",
			Quality: fla.QualityProvider, Scopes: []string{fla.TrainingProviderScope},
			Ops: []Operation{getA},
		},
		{
			Name: "training-provider", Doc: "a training provider registers a training in its own name and reads it back",
			Quality: fla.QualityTrainingProvider, Decides: validCalls,
			Ops: []Operation{
				put("put-provider-training", "putProviderTraining", "/trainingProviders/"+TrainingProviderNumber+"/trainings/FORKLIFT-2024-07", providerTraining),
				get("get-provider-training", "getProviderTraining", "/trainingProviders/"+TrainingProviderNumber+"/trainings/FORKLIFT-2024-07"),
			},
		},
		{
			Name: "untrusted-tls", Doc: "the servers present a certificate that does not chain to FLAMOCK_CA_FILE: nothing may complete",
			Quality: fla.QualityProvider, Ops: []Operation{getA}, Decides: []string{TLSVerify}, Untrusted: true,
		},
	}
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
