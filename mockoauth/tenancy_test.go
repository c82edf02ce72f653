package mockoauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/tenant"
)

// admin serves one admin request, as the client id when id is not "" (what
// the stack puts in the context: see internal/tenant); it returns the
// status and the body.
func admin(t *testing.T, s *Server, id, method, path, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if id != "" {
		r = r.WithContext(tenant.With(context.Background(), id))
	}
	w := httptest.NewRecorder()
	s.AdminHandler().ServeHTTP(w, r)
	return w.Code, strings.TrimSpace(w.Body.String())
}

func newTenancyServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(testConfig(t, newClock()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const deniedOther = `{"error":"access_denied","error_description":"the admin credential of client ` + employerID + ` acts for ` + employerID + ` only, not for client \"` + providerID + `\""}`

func deniedRoute(method, path string) string {
	return `{"error":"access_denied","error_description":"the admin credential of client ` + employerID + ` may not ` + method + ` ` + path + `: a client's access token acts on its own faults and tokens only; this route needs the operator's admin token"}`
}

// ?clientId= of /__admin/oauth/faults is one client id: an empty or
// repeated one is a 400 and changes nothing (an empty one used to list the
// unscoped faults and to delete nothing, with a 200 and a 204). So is
// ?client= (the journal views' name before ?clientId=), whose 400 names
// ?clientId=: never ignored, for the operator or a client's credential.
func TestTenancy_FaultClientIDParamRefused(t *testing.T) {
	s := newTenancyServer(t)
	admin(t, s, "", "POST", "/__admin/oauth/faults", `[{"status":500,"clientId":"a"},{"status":502}]`)
	notOne := `{"error":"invalid_request","error_description":"clientId must be one client id, e.g. ?clientId=my_client"}`
	renamed := `{"error":"invalid_request","error_description":"client is not a query parameter of the admin API: a client id is ?clientId=ID (e.g. ?clientId=my_client), on every admin route that takes one"}`
	for _, tc := range []struct{ actsFor, method, query, want string }{
		{"", "GET", "?clientId=", notOne}, {"", "DELETE", "?clientId=", notOne}, {"", "POST", "?clientId=", notOne},
		{"", "GET", "?clientId=a&clientId=b", notOne}, {"", "DELETE", "?clientId=a&clientId=b", notOne},
		{"", "GET", "?client=a", renamed}, {"", "DELETE", "?client=a", renamed}, {"", "POST", "?client=a", renamed},
		{employerID, "GET", "?client=a", renamed}, {employerID, "DELETE", "?client=a", renamed}, {employerID, "POST", "?client=a", renamed},
	} {
		if code, body := admin(t, s, tc.actsFor, tc.method, "/__admin/oauth/faults"+tc.query, `{"status":504}`); code != 400 || body != tc.want {
			t.Errorf("acting for %q: %s /__admin/oauth/faults%s = %d %s; want 400 %s", tc.actsFor, tc.method, tc.query, code, body, tc.want)
		}
	}
	_, body := admin(t, s, "", "GET", "/__admin/oauth/faults", "")
	if want := `{"faults":[{"count":1,"status":500,"clientId":"a","left":1},{"count":1,"status":502,"left":1}]}`; body != want {
		t.Errorf("faults after the refused requests = %s; want %s", body, want)
	}
}

// A client scope on an admin route of the token endpoint that takes none
// is a 400 that says so, and the route does nothing:
// tokens/expire?clientId=X with {} used to expire every client's tokens.
func TestTenancy_ScopeOnAnUnscopedRoute(t *testing.T) {
	s := newTenancyServer(t)
	tok, err := s.IssueToken(employerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, query string }{
		{"POST", "/__admin/oauth/tokens/expire", "?clientId=" + employerID},
		{"POST", "/__admin/oauth/tokens/revoke", "?client=" + employerID},
		{"GET", "/__admin/oauth/clients", "?clientId=" + employerID},
		{"GET", "/__admin/oauth/stats", "?clientId=x"},
	} {
		want := `{"error":"invalid_request","error_description":"` + tc.method + " " + tc.path + ` takes no client scope (?clientId=): it acts for every client; the fault routes and the journal views take one"}`
		if code, body := admin(t, s, "", tc.method, tc.path+tc.query, `{}`); code != 400 || body != want {
			t.Errorf("%s %s%s = %d %s; want 400 %s", tc.method, tc.path, tc.query, code, body, want)
		}
	}
	if _, err := s.VerifyAccessToken(context.Background(), tok, nil); err != nil {
		t.Errorf("the token after the refused expire and revoke: %v; want it valid", err)
	}
	if code, _ := admin(t, s, "", "GET", "/__admin/oauth/nowhere?clientId=x", ""); code != 404 {
		t.Errorf("GET /__admin/oauth/nowhere?clientId=x = %d; want 404", code)
	}
}

// A client's admin credential plants token faults for itself, lists and
// clears its own, and gets 403 access_denied for another client's.
func TestTenancy_ClientCredentialFaults(t *testing.T) {
	s := newTenancyServer(t)
	admin(t, s, "", "POST", "/__admin/oauth/faults", `[{"status":500,"clientId":"`+providerID+`"},{"status":502}]`)
	code, body := admin(t, s, employerID, "POST", "/__admin/oauth/faults", `{"status":503,"error":"temporarily_unavailable"}`)
	if want := `{"faults":[{"count":1,"status":503,"error":"temporarily_unavailable","clientId":"` + employerID + `","left":1}]}`; code != 201 || body != want {
		t.Fatalf("the employer plants a fault = %d %s; want 201 %s", code, body, want)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/__admin/oauth/faults", `{"status":500,"clientId":"` + providerID + `"}`},
		{"GET", "/__admin/oauth/faults?clientId=" + providerID, ""},
		{"DELETE", "/__admin/oauth/faults?clientId=" + providerID, ""},
	} {
		if code, body := admin(t, s, employerID, tc.method, tc.path, tc.body); code != 403 || body != deniedOther {
			t.Errorf("the employer: %s %s = %d %s; want 403 %s", tc.method, tc.path, code, body, deniedOther)
		}
	}
	if code, body := admin(t, s, employerID, "DELETE", "/__admin/oauth/faults", ""); code != 204 {
		t.Fatalf("the employer clears its faults = %d %s; want 204", code, body)
	}
	_, body = admin(t, s, "", "GET", "/__admin/oauth/faults", "")
	if want := `{"faults":[{"count":1,"status":500,"clientId":"` + providerID + `","left":1},{"count":1,"status":502,"left":1}]}`; body != want {
		t.Errorf("faults after the employer cleared its own = %s; want the others untouched: %s", body, want)
	}
}

// A client's admin credential mints tokens for itself only, expires or
// revokes only its own tokens, one at a time, sees its own registration
// only, and is refused the operator's routes.
func TestTenancy_ClientCredentialTokens(t *testing.T) {
	s := newTenancyServer(t)
	code, body := admin(t, s, employerID, "POST", "/__admin/oauth/tokens", `{}`)
	if code != 200 || !strings.Contains(body, `"access_token":"`) {
		t.Fatalf("the employer mints a token = %d %s; want 200", code, body)
	}
	own := body[strings.Index(body, `"access_token":"`)+16:]
	own = own[:strings.IndexByte(own, '"')]
	if c, err := s.VerifyAccessToken(context.Background(), own, nil); err != nil || c.ClientID != employerID {
		t.Fatalf("the minted token = %+v, %v; want the employer's", c, err)
	}
	if code, body := admin(t, s, employerID, "POST", "/__admin/oauth/tokens", `{"clientId":"`+providerID+`"}`); code != 403 || body != deniedOther {
		t.Errorf("the employer mints the provider's token = %d %s; want 403 %s", code, body, deniedOther)
	}
	theirs, err := s.IssueToken(providerID)
	if err != nil {
		t.Fatal(err)
	}
	everyToken := `{"error":"access_denied","error_description":"the admin credential of client ` + employerID + ` may change its own tokens only: name one, {\"token\":\"...\"}; every token at once is the operator's"}`
	for _, knob := range []string{"expire", "revoke"} {
		path := "/__admin/oauth/tokens/" + knob
		if code, body := admin(t, s, employerID, "POST", path, `{"token":"`+theirs+`"}`); code != 403 || body != deniedOther {
			t.Errorf("the employer %ss the provider's token = %d %s; want 403 %s", knob, code, body, deniedOther)
		}
		if code, body := admin(t, s, employerID, "POST", path, `{}`); code != 403 || body != everyToken {
			t.Errorf("the employer %ss every token = %d %s; want 403 %s", knob, code, body, everyToken)
		}
	}
	if _, err := s.VerifyAccessToken(context.Background(), theirs, nil); err != nil {
		t.Fatalf("the provider's token after the refused knobs: %v; want valid", err)
	}
	if code, body := admin(t, s, employerID, "POST", "/__admin/oauth/tokens/revoke", `{"token":"`+own+`"}`); code != 200 || body != `{"count":1}` {
		t.Errorf("the employer revokes its own token = %d %s; want 200 {\"count\":1}", code, body)
	}
	if _, err := s.VerifyAccessToken(context.Background(), own, nil); err == nil {
		t.Error("the employer's token is valid after its revoke")
	}
	if code, body := admin(t, s, employerID, "GET", "/__admin/oauth/clients", ""); code != 200 || strings.Count(body, `"clientId"`) != 1 || !strings.Contains(body, employerID) {
		t.Errorf("the employer lists clients = %d %s; want its own registration only", code, body)
	}
	for _, rt := range []struct{ method, path, body string }{
		{"PUT", "/__admin/oauth/clock", `{"offset":"-90s"}`},
		{"POST", "/__admin/oauth/clients", `{"clientId":"x","quality":"employer"}`},
		{"DELETE", "/__admin/oauth/clients/" + providerID, ""},
		{"GET", "/__admin/oauth/stats", ""},
	} {
		if code, body := admin(t, s, employerID, rt.method, rt.path, rt.body); code != 403 || body != deniedRoute(rt.method, rt.path) {
			t.Errorf("the employer: %s %s = %d %s; want 403 %s", rt.method, rt.path, code, body, deniedRoute(rt.method, rt.path))
		}
	}
	cs, err := s.Clients()
	if err != nil {
		t.Fatal(err)
	}
	if registered := slices.ContainsFunc(cs, func(c Client) bool { return c.ID == providerID }); s.ClockOffset() != 0 || !registered || len(cs) != 6 {
		t.Errorf("after the refused routes: clock offset %v, provider registered %v, %d clients; want 0, true, 6", s.ClockOffset(), registered, len(cs))
	}
	if code, _ := admin(t, s, employerID, "GET", "/__admin/oauth/clock", ""); code != 200 {
		t.Errorf("the employer reads the clock = %d; want 200", code)
	}
	if code, _ := admin(t, s, employerID, "GET", "/__admin/oauth/nosuch", ""); code != http.StatusNotFound {
		t.Errorf("GET /__admin/oauth/nosuch = %d; want 404", code)
	}
}
