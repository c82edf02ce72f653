package mockfla_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/tenant"
	"github.com/flamock/flamock/mockfla"
)

const clientIDIssue = `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[{"type":"urn:problem-type:belgif:input-validation:invalidInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/invalidInput.html","title":"Invalid input","detail":"clientId must be one client id, e.g. ?clientId=my_client","in":"query","name":"clientId"}]}`

const renamedIssue = `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[{"type":"urn:problem-type:belgif:input-validation:invalidInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/invalidInput.html","title":"Invalid input","detail":"client is not a query parameter of the admin API: a client id is ?clientId=ID (e.g. ?clientId=my_client), on every admin route that takes one","in":"query","name":"client"}]}`

// Every admin route that can be scoped (the fault routes, the journal page
// and stream) takes one client id as ?clientId=: an empty or repeated one
// is a 400 naming it (an empty one used to list the unscoped faults and to
// delete nothing, with a 200 and a 204); ?client= (the journal views' name
// before) is a 400 naming the right one, for the operator and for a
// client's credential. Either changes nothing: ignored, it would turn one
// client's view or deletion into everyone's.
func TestTenancy_ClientIDParamRefused(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "POST", "/__admin/faults", "", `[{"status":500,"clientId":"a"},{"status":502}]`)
	type request struct{ actsFor, method, path, body, want string }
	cases := []request{
		{"", "GET", "/__admin/faults?clientId=", "", clientIDIssue},
		{"", "DELETE", "/__admin/faults?clientId=", "", clientIDIssue},
		{"", "GET", "/__admin/faults?clientId=a&clientId=b", "", clientIDIssue},
		{"", "DELETE", "/__admin/faults?clientId=a&clientId=b", "", clientIDIssue},
		{"", "GET", "/__admin/journal?clientId=", "", clientIDIssue},
		{"", "GET", "/__admin/journal/stream?clientId=a&clientId=a", "", clientIDIssue},
	}
	for _, actsFor := range []string{"", employerClient} {
		for _, r := range []request{
			{"", "GET", "/__admin/journal?client=a", "", ""},
			{"", "GET", "/__admin/journal/stream?client=a", "", ""},
			{"", "GET", "/__admin/faults?client=a", "", ""},
			{"", "DELETE", "/__admin/faults?client=a", "", ""},
			{"", "DELETE", "/__admin/faults?clientId=a&client=a", "", ""},
			{"", "POST", "/__admin/faults?client=a", `{"status":504}`, ""},
			{"", "GET", "/__admin/journal?client=" + employerClient, "", ""},
		} {
			r.actsFor, r.want = actsFor, renamedIssue
			cases = append(cases, r)
		}
	}
	for _, tc := range cases {
		var r result
		if tc.actsFor == "" {
			r = do(t, s, tc.method, tc.path, "", tc.body)
		} else {
			r = asClient(t, s, tc.actsFor, tc.method, tc.path, tc.body)
		}
		if got := strings.TrimSpace(string(r.body)); r.status != 400 || got != tc.want {
			t.Errorf("acting for %q: %s %s = %d %s; want 400 %s", tc.actsFor, tc.method, tc.path, r.status, got, tc.want)
		}
	}
	r := do(t, s, "GET", "/__admin/faults", "", "")
	if got, want := strings.TrimSpace(string(r.body)), `{"faults":[{"count":1,"status":500,"clientId":"a","left":1},{"count":1,"status":502,"left":1}]}`; got != want {
		t.Errorf("faults after the refused requests = %s; want both, untouched: %s", got, want)
	}
}

// unscopedIssue is the 400 for a client scope (query parameter name) on
// the route "method path", which takes none.
func unscopedIssue(name, method, path string) string {
	return `{"type":"urn:problem-type:belgif:badRequest","href":"https://www.belgif.be/specification/rest/api-guide/problems/badRequest.html","title":"Bad Request","status":400,"detail":"The input message is incorrect","issues":[{"type":"urn:problem-type:belgif:input-validation:invalidInput","href":"https://www.belgif.be/specification/rest/api-guide/issues/invalidInput.html","title":"Invalid input","detail":"` +
		method + " " + path + ` takes no client scope (?clientId=): it acts for every client; the fault routes and the journal views take one","in":"query","name":"` + name + `"}]}`
}

// A client scope on an admin route that takes none is a 400 that says so,
// and the route does nothing: DELETE /__admin/journal?clientId=X used to
// forget every client's events. An unknown route keeps its 404.
func TestTenancy_ScopeOnAnUnscopedRoute(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "GET", seed, employerTok, "")
	for _, tc := range []struct{ method, path, query, name string }{
		{"DELETE", "/__admin/journal", "?clientId=" + employerClient, "clientId"},
		{"DELETE", "/__admin/state", "?clientId=" + employerClient, "clientId"},
		{"DELETE", "/__admin/state", "?client=" + employerClient, "client"},
		{"GET", "/__admin/health", "?clientId=x", "clientId"},
		{"PUT", "/__admin/mandates", "?clientId=x", "clientId"},
	} {
		r := do(t, s, tc.method, tc.path+tc.query, "", `{"mandates":[]}`)
		if got, want := strings.TrimSpace(string(r.body)), unscopedIssue(tc.name, tc.method, tc.path); r.status != 400 || got != want {
			t.Errorf("%s %s%s = %d %s; want 400 %s", tc.method, tc.path, tc.query, r.status, got, want)
		}
	}
	if n := len(s.Journal().Events(0)); n != 1 {
		t.Errorf("the journal holds %d events after the refused DELETE; want the 1 call, kept", n)
	}
	if r := do(t, s, "GET", "/__admin/nowhere?clientId=x", "", ""); r.status != 404 {
		t.Errorf("GET /__admin/nowhere?clientId=x = %d %s; want 404", r.status, r.body)
	}
}

// asClient is do for an admin request whose credential is client id's
// (what the stack puts in the context: see internal/tenant).
func asClient(t *testing.T, h http.Handler, id, method, path, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd).WithContext(tenant.With(context.Background(), id))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// wantForbidden checks a 403 missingPermission problem with detail.
func wantForbidden(t *testing.T, r result, what, detail string) {
	t.Helper()
	p := r.problem(t)
	if r.status != 403 || p.Type != mockfla.TypeMissingPermission || p.Title != "Missing Permission" || p.Detail != detail {
		t.Errorf("%s = %d %s; want 403 missingPermission %q", what, r.status, r.body, detail)
	}
}

// A client's admin credential plants faults for itself (its id by
// default), lists and clears its own only, and is refused another
// client's and the operator's routes with a 403 that says why.
func TestTenancy_ClientCredentialFaults(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "POST", "/__admin/faults", "", `[{"status":500,"clientId":"b"},{"status":502}]`) // the operator's
	r := asClient(t, s, "a", "POST", "/__admin/faults", `{"path":"/REST/*","status":503}`)
	if got, want := strings.TrimSpace(string(r.body)), `{"faults":[{"path":"/REST/*","count":1,"status":503,"clientId":"a","left":1}]}`; r.status != 201 || got != want {
		t.Fatalf("client a plants a fault = %d %s; want 201 %s (its own faults only, scoped to it)", r.status, got, want)
	}
	wantForbidden(t, asClient(t, s, "a", "POST", "/__admin/faults", `[{"status":504},{"status":500,"clientId":"b"}]`),
		"client a plants a fault for b", `The admin credential of client a acts for a only, not for client "b"`)
	for _, m := range []string{"GET", "DELETE"} {
		wantForbidden(t, asClient(t, s, "a", m, "/__admin/faults?clientId=b", ""),
			"client a "+m+" faults?clientId=b", `The admin credential of client a acts for a only, not for client "b"`)
	}
	if r := asClient(t, s, "a", "GET", "/__admin/faults?clientId=a", ""); r.status != 200 || !strings.Contains(string(r.body), `"clientId":"a"`) || strings.Contains(string(r.body), "502") {
		t.Errorf("client a lists faults?clientId=a = %d %s; want its one fault", r.status, r.body)
	}
	if r := asClient(t, s, "a", "DELETE", "/__admin/faults", ""); r.status != 204 {
		t.Fatalf("client a clears its faults = %d %s; want 204", r.status, r.body)
	}
	r = do(t, s, "GET", "/__admin/faults", "", "")
	if got, want := strings.TrimSpace(string(r.body)), `{"faults":[{"count":1,"status":500,"clientId":"b","left":1},{"count":1,"status":502,"left":1}]}`; got != want {
		t.Errorf("faults after client a cleared its own = %s; want b's and the operator's, untouched: %s", got, want)
	}
}

// A client's admin credential reads its own journal only (with or without
// ?clientId=its id), is refused another's, and may not reset the journal,
// the store or touch the profile's routes; an unknown path is still 404.
func TestTenancy_ClientCredentialRoutes(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "GET", seed, employerTok, "")
	do(t, s, "GET", seed, providerTok, "")
	for _, q := range []string{"", "?clientId=" + employerClient} {
		r := asClient(t, s, employerClient, "GET", "/__admin/journal"+q, "")
		var page journalPage
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 || len(page.Events) != 1 || page.Events[0].API.ClientID != employerClient {
			t.Errorf("the employer's credential reads journal%s = %d %s; want its one call", q, r.status, r.body)
		}
	}
	wantForbidden(t, asClient(t, s, employerClient, "GET", "/__admin/journal?clientId="+providerClient, ""), "journal of another client",
		"The admin credential of client "+employerClient+` acts for `+employerClient+` only, not for client "`+providerClient+`"`)
	wantForbidden(t, asClient(t, s, employerClient, "GET", "/__admin/journal/stream?clientId="+providerClient, ""), "stream of another client",
		"The admin credential of client "+employerClient+` acts for `+employerClient+` only, not for client "`+providerClient+`"`)
	for _, rt := range []struct{ method, path string }{
		{"DELETE", "/__admin/journal"},
		{"DELETE", "/__admin/state"},
		{"GET", "/__admin/mandates"},
		{"PUT", "/__admin/mandates"},
	} {
		wantForbidden(t, asClient(t, s, employerClient, rt.method, rt.path, ""), rt.method+" "+rt.path,
			"The admin credential of client "+employerClient+" may not "+rt.method+" "+rt.path+
				": a client's access token acts on its own faults and journal only; this route needs the operator's admin token")
	}
	if n := len(s.Journal().Events(0)); n != 2 {
		t.Errorf("journal after the refused DELETE holds %d events; want 2", n)
	}
	if r := asClient(t, s, employerClient, "GET", "/__admin/nosuch", ""); r.status != 404 {
		t.Errorf("GET /__admin/nosuch = %d %s; want 404", r.status, r.body)
	}
	if r := asClient(t, s, employerClient, "GET", "/__admin/health", ""); r.status != 200 {
		t.Errorf("GET /__admin/health = %d %s; want 200", r.status, r.body)
	}
}
