package conformance

import (
	"slices"
	"strings"
	"testing"

	"github.com/flamock/flamock/stack"
)

// testAPI is a model of two documents' worth of operations, without the
// profile packages (conformance imports none).
func testAPI() *stack.API {
	return &stack.API{
		Profile: "generic",
		Scopes:  []string{"scope:a", "scope:b"},
		Operations: []stack.Operation{
			{ID: "getItem", BasePath: "/v1", Method: "GET", Path: "/items/{id}", Secured: true, Scopes: []string{"scope:a"}, Success: 200,
				Valid: stack.Request{Path: "/items/1"}, Invalid: &stack.Request{Path: "/items/x", Why: "the path parameter id is \"x\""}},
			{ID: "putItem", BasePath: "/v1", Method: "PUT", Path: "/items/{id}", Secured: true, Scopes: []string{"scope:a", "scope:b"}, Success: 200,
				Valid:   stack.Request{Path: "/items/1", ContentType: "application/json", Body: []byte(`{"n":1}`)},
				Invalid: &stack.Request{Path: "/items/1", ContentType: "application/json", Body: []byte(`{"n":"x"}`), Why: "wrong values for n"}},
			{ID: "upload", BasePath: "/v1", Method: "POST", Path: "/files", Success: 201, Unsupported: "its body is multipart/form-data; the adapter contract sends JSON bodies"},
			{ID: "ping", BasePath: "/v2", Method: "GET", Path: "/ping", Success: 200, Identifiers: true, Valid: stack.Request{Path: "/ping"}},
			{ID: "legacy", BasePath: "/v1", Method: "GET", Path: "/legacy"},
		},
		Conformance: stack.Conformance{Client: stack.Identity{ClientID: "c", Quality: "client"}},
	}
}

func names(scs []Scenario) []string {
	var out []string
	for _, sc := range scs {
		out = append(out, sc.Name)
	}
	return out
}

func TestNewPlan_Default(t *testing.T) {
	p, err := NewPlan(testAPI(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"happy-path", "several-operations", "token-expiry", "token-revoked", "persistent-401", "too-many-requests",
		"service-unavailable", "server-error", "validation-error", "missing-scope", "untrusted-tls"}
	if got := names(p.Scenarios); !slices.Equal(got, want) {
		t.Errorf("scenarios %v; want %v", got, want)
	}
	happy, several := p.Scenarios[0], p.Scenarios[1]
	// writes before reads of the same path, on their document's base path
	if happy.APIBase != "/v1" || happy.Ops[0].ID != "put-item" || happy.Ops[0].Path != "/items/1" || happy.Ops[1].ID != "get-item" {
		t.Errorf("happy path %+v on %q", happy.Ops, happy.APIBase)
	}
	// two documents: the server's root, and each path with its base path
	if several.APIBase != "" || len(several.Ops) != 3 || several.Ops[0].Path != "/v1/items/1" || several.Ops[2].Path != "/v2/ping" {
		t.Errorf("several-operations %+v on %q", several.Ops, several.APIBase)
	}
	if got := strings.Join(happy.AskScopes, " "); got != "scope:a scope:b" {
		t.Errorf("scopes %q", got)
	}
	inv := p.Scenarios[8]
	if inv.Ops[0].ID != "put-item-invalid" || string(inv.Ops[0].Body) != `{"n":"x"}` || !strings.Contains(inv.Doc, "wrong values for n") {
		t.Errorf("validation-error %+v (%s)", inv.Ops, inv.Doc)
	}
	ms := p.Scenarios[9]
	if !slices.Equal(ms.Scopes, []string{"scope:b"}) || ms.Ops[0].OperationID != "getItem" {
		t.Errorf("missing-scope: scopes %v on %s", ms.Scopes, ms.Ops[0].OperationID)
	}
	if got := p.NotExercised; len(got) != 1 || got[APITenant] != "the generic profile has no tenant rule" {
		t.Errorf("not exercised %v", got)
	}
	wantNotes := []string{"operation upload left out: its body is multipart/form-data; the adapter contract sends JSON bodies",
		"operation legacy left out: it declares no success response"}
	if !slices.Equal(p.Notes, wantNotes) {
		t.Errorf("notes %q", p.Notes)
	}
}

// One operation: the token fails before its only call; nothing else can
// reuse the token, no identifier, no body to break but a parameter.
func TestNewPlan_OneOperation(t *testing.T) {
	p, err := NewPlan(testAPI(), []string{"getItem"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names(p.Scenarios), "several-operations") {
		t.Error("several-operations with one operation")
	}
	for _, sc := range p.Scenarios {
		if sc.Name == "persistent-401" && (sc.Before[1] == nil || sc.Before[2] == nil) {
			t.Errorf("persistent-401 hooks %v", sc.Before)
		}
		if sc.Name == "validation-error" && sc.Ops[0].Path != "/items/x" {
			t.Errorf("validation-error %+v", sc.Ops)
		}
		if sc.Name == "missing-scope" && !slices.Equal(sc.Scopes, []string{"scope:b"}) {
			t.Errorf("missing-scope scopes %v", sc.Scopes)
		}
	}
	want := map[string]string{
		TokenReuse:    "one operation chosen: no second call to reuse the token for; choose another operation",
		APIIdentifier: "no chosen operation carries a Belgian identifier (SSIN, enterprise or employer number) in its path or query",
		APITenant:     "the generic profile has no tenant rule",
	}
	for r, why := range want {
		if p.NotExercised[r] != why {
			t.Errorf("%s: %q; want %q", r, p.NotExercised[r], why)
		}
	}
	if len(p.NotExercised) != len(want) {
		t.Errorf("not exercised %v", p.NotExercised)
	}
}

// Only the scopes the operation needs: missing-scope uses a scope of no
// document; none at all: not exercised, with the reason.
func TestNewPlan_Scopes(t *testing.T) {
	a := testAPI()
	a.Scopes = []string{"scope:a"}
	a.Operations[1].Scopes = []string{"scope:a"}
	p, _ := NewPlan(a, []string{"putItem", "getItem"})
	if sc := p.Scenarios[len(p.Scenarios)-2]; sc.Name != "missing-scope" || !slices.Equal(sc.Scopes, []string{OtherScope}) {
		t.Errorf("%s: %v", sc.Name, sc.Scopes)
	}
	p, _ = NewPlan(a, []string{"ping"})
	if got := names(p.Scenarios); !slices.Equal(got, []string{"happy-path", "too-many-requests", "service-unavailable", "server-error", "untrusted-tls"}) {
		t.Errorf("scenarios %v", got)
	}
	if got := p.NotExercised[TokenRenew]; got != "no operation of the happy path needs an access token (no security requirement): no 401 to recover from" {
		t.Errorf("TOKEN-RENEW-01: %q", got)
	}
	// Both are exercised elsewhere (server-error reports a problem, the
	// refusals are the only 400/403): the reasons are joined.
	if got := p.NotExercised[APINoRetry]; got != "no chosen operation has a request its spec refuses (no JSON body, no constrained parameter); the spec declares no scope on the chosen operations" {
		t.Errorf("API-NORETRY-01: %q", got)
	}
	if _, ok := p.NotExercised[APIDetail]; ok {
		t.Error("API-DETAIL-01 is exercised by service-unavailable and server-error")
	}
}

func TestNewPlan_Errors(t *testing.T) {
	for _, tc := range []struct {
		ops  []string
		want string
	}{
		{[]string{"lunch"}, `unknown operation "lunch"; the documents have getItem, putItem, upload, ping, legacy`},
		{[]string{"upload"}, "operation upload cannot be judged: its body is multipart/form-data; the adapter contract sends JSON bodies"},
		{[]string{"ping", "ping"}, "operation ping is named twice"},
		{[]string{}, "no operation chosen"},
	} {
		if _, err := NewPlan(testAPI(), tc.ops); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v; want %q", tc.ops, err, tc.want)
		}
	}
	a := testAPI()
	a.Operations = a.Operations[2:3]
	if _, err := NewPlan(a, nil); err == nil || err.Error() != "conformance: no operation to call: the documents have no operation with a success response the adapter contract can carry" {
		t.Errorf("no operation: %v", err)
	}
	a = testAPI()
	a.Conformance.Calls = []stack.Call{{Name: "x", Operation: "nope"}}
	if _, err := NewPlan(a, nil); err == nil || err.Error() != `conformance: call x: the generic profile has no operation "nope"` {
		t.Errorf("profile call: %v", err)
	}
	a.Conformance.Calls = []stack.Call{{Name: "x", Operation: "upload", Request: stack.Request{Path: "/files", ContentType: "multipart/form-data"}}}
	if _, err := NewPlan(a, nil); err == nil || err.Error() != "conformance: call x: a multipart/form-data body; the adapter contract sends JSON" {
		t.Errorf("profile call: %v", err)
	}
	if _, err := NewPlan(nil, nil); err == nil || err.Error() != "conformance: no API model" {
		t.Errorf("nil: %v", err)
	}
}

func TestCallName(t *testing.T) {
	for in, want := range map[string]string{
		"declareAttestation": "declare-attestation", "getV2Items": "get-v2-items", "GET /items/{id}": "get-items-id",
		"put_item.x": "put_item.x", "ÉtatCivil": "tat-civil",
	} {
		if got := callName(in); got != want {
			t.Errorf("callName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestProblemDetails(t *testing.T) {
	for body, want := range map[string][]string{
		`{"type":"urn:problem-type:belgif:badRequest","detail":"The input message is incorrect","issues":[{"detail":"a"},{"in":"body"},{"detail":"b"}]}`: {"The input message is incorrect", "a", "b"},
		`{"errorCode":"E400","message":"Invalid request","errors":[{"field":"kind","message":"kind must be one of"},"plain"]}`:                           {"Invalid request", "kind must be one of", "plain"},
		`{"code":"x","description":"Down for maintenance","details":[{"description":"until 6"}]}`:                                                        {"Down for maintenance", "until 6"},
		`{"status":503}`: nil, `not json`: nil, `[1]`: nil, `{"errors":[{"message":"orphan"}]}`: nil,
	} {
		if got := problemDetails([]byte(body)); !slices.Equal(got, want) {
			t.Errorf("%s: %q; want %q", body, got, want)
		}
	}
}

func FuzzProblemDetails(f *testing.F) {
	f.Add([]byte(`{"detail":"d","issues":[{"detail":"i"}]}`))
	f.Add([]byte(`{"message":"m","errors":["e",{"message":"n"},3]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range problemDetails(body) {
			if s == "" {
				t.Fatalf("%q: an empty text", body)
			}
		}
	})
}
