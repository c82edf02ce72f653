package stack_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/stack"
	"github.com/flamock/flamock/store"
)

// adminStack serves the FLA demo with an operator admin token (or none),
// an operator-only extra and one marked ForClients.
func adminStack(t *testing.T, adminToken string) (*stack.TestServer, string, string) {
	t.Helper()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	ts := stack.NewTestServer(t, stack.Config{
		Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true}, AdminToken: adminToken,
		AdminHandlers: map[string]http.Handler{"GET /__admin/ui": stack.ForClients(page), "POST /__admin/sign": page},
	})
	cs := fla.DemoClients()
	return ts, cs[0].ClientID, cs[1].ClientID
}

func issue(t *testing.T, ts *stack.TestServer, id string) string {
	t.Helper()
	tok, err := ts.OAuth.IssueToken(id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// adminCall is call with any Authorization header; it returns the status,
// the body and the WWW-Authenticate challenges.
func adminCall(t *testing.T, ts *stack.TestServer, method, path, auth, body string) (int, string, []string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header.Values("WWW-Authenticate")
}

func problem(status int, typ, title, detail string) string {
	return `{"type":"urn:problem-type:belgif:` + typ + `","href":"https://www.belgif.be/specification/rest/api-guide/problems/` + typ + `.html","title":"` + title + `","status":` + status3(status) + `,"detail":"` + strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(detail) + `"}`
}

func status3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

const (
	needsToken = "The admin API requires Authorization: Bearer <admin token> (flamock serve --admin-token), or in a browser the admin token as the password; or a client's access token from this token endpoint, which acts for that client only"
	badToken   = "This admin credential is not accepted: it is not the admin token, nor an access token this token endpoint issued and still honours ("
	badClient  = "This admin credential is not accepted: the admin API takes no credential, or a client's access token from this token endpoint, which acts for that client only; this one is not one it issued and still honours ("
)

func forbidden(id, method, path string) string {
	return problem(403, "missingPermission", "Missing Permission", "The admin credential of client "+id+" may not "+method+" "+path+
		": a client's access token acts on its own faults and journal only; this route needs the operator's admin token")
}

// With an admin token, every admin route wants a credential: the admin
// token (full access), or a client's access token (that client only);
// none or another is a 401 that says which, with both challenges.
func TestAdmin_Credentials(t *testing.T) {
	ts, employer, provider := adminStack(t, "s3cret")
	own := issue(t, ts, employer)
	basic := func(pw string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("me:"+pw)) }
	for _, tc := range []struct {
		what, method, path, auth string
		want                     int
		body                     string
	}{
		{"no credential", "GET", "/__admin/health", "", 401, problem(401, "noAccessToken", "No Access Token", needsToken)},
		{"no credential, an extra", "GET", "/__admin/ui", "", 401, problem(401, "noAccessToken", "No Access Token", needsToken)},
		{"a wrong token", "GET", "/__admin/journal", "Bearer wrong", 401,
			problem(401, "invalidAccessToken", "Invalid Access Token", badToken+`invalid access token: not a JWT of this token server (token is malformed: token contains an invalid number of segments))`)},
		{"a wrong Basic password", "GET", "/__admin/ui", basic("wrong"), 401,
			problem(401, "invalidAccessToken", "Invalid Access Token", badToken+`invalid access token: not a JWT of this token server (token is malformed: token contains an invalid number of segments))`)},
		{"the admin token", "DELETE", "/__admin/journal", "Bearer s3cret", 204, ""},
		{"the admin token, any case", "GET", "/__admin/oauth/stats", "bearer s3cret", 200, ""},
		{"the admin token as a Basic password", "POST", "/__admin/sign", basic("s3cret"), 200, "page"},
		{"a client's token: its journal", "GET", "/__admin/journal", "Bearer " + own, 200, `{"dropped":0,"events":[],"last":0}`},
		{"a client's token as a Basic password: a ForClients extra", "GET", "/__admin/ui", basic(own), 200, "page"},
		{"a client's token: an operator's extra", "POST", "/__admin/sign", "Bearer " + own, 403, forbidden(employer, "POST", "/__admin/sign")},
		{"a client's token: reset the store", "DELETE", "/__admin/state", "Bearer " + own, 403, forbidden(employer, "DELETE", "/__admin/state")},
		{"a client's token: another client's journal", "GET", "/__admin/journal?clientId=" + provider, "Bearer " + own, 403,
			problem(403, "missingPermission", "Missing Permission", "The admin credential of client "+employer+" acts for "+employer+` only, not for client \"`+provider+`\"`)},
	} {
		code, body, challenges := adminCall(t, ts, tc.method, tc.path, tc.auth, "")
		if code != tc.want || (tc.body != "" && body != tc.body) {
			t.Errorf("%s: %s %s = %d %s; want %d %s", tc.what, tc.method, tc.path, code, body, tc.want, tc.body)
		}
		if code == 401 && (len(challenges) != 2 || !strings.HasPrefix(challenges[0], "Bearer ") || !strings.HasPrefix(challenges[1], "Basic ")) {
			t.Errorf("%s: WWW-Authenticate = %q; want a Bearer and a Basic challenge", tc.what, challenges)
		}
	}
}

// A client's access token that was revoked or expired is refused with
// the reason; with no admin token the operator needs no credential, yet a
// credential given is checked all the same (never ignored).
func TestAdmin_ClientTokenRefused(t *testing.T) {
	for _, adminToken := range []string{"s3cret", ""} {
		ts, employer, _ := adminStack(t, adminToken)
		prefix := badToken
		if adminToken == "" {
			prefix = badClient
		}
		revoked, expired := issue(t, ts, employer), issue(t, ts, employer)
		operator := ""
		if adminToken != "" {
			operator = "Bearer " + adminToken
		}
		for _, knob := range []struct{ path, tok string }{{"revoke", revoked}, {"expire", expired}} {
			if code, body, _ := adminCall(t, ts, "POST", "/__admin/oauth/tokens/"+knob.path, operator, `{"token":"`+knob.tok+`"}`); code != 200 {
				t.Fatalf("%s: %d %s", knob.path, code, body)
			}
		}
		code, body, _ := adminCall(t, ts, "GET", "/__admin/faults", "Bearer "+revoked, "")
		if want := problem(401, "invalidAccessToken", "Invalid Access Token", prefix+"the access token was revoked: token of client "+employer+")"); code != 401 || body != want {
			t.Errorf("admin token %q, a revoked client token: %d %s; want 401 %s", adminToken, code, body, want)
		}
		code, body, _ = adminCall(t, ts, "GET", "/__admin/faults", "Bearer "+expired, "")
		if want := prefix + "the access token expired at "; code != 401 || !strings.Contains(body, want) {
			t.Errorf("admin token %q, an expired client token: %d %s; want 401 with %q", adminToken, code, body, want)
		}
		if adminToken == "" {
			if code, body, _ := adminCall(t, ts, "DELETE", "/__admin/faults", "", ""); code != 204 {
				t.Errorf("no admin token, no credential: DELETE faults = %d %s; want 204 (the operator)", code, body)
			}
			// A browser's Basic credentials kept from an earlier server with
			// an admin token are no client's: the operator's, as none.
			basic := func(pw string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("me:"+pw)) }
			if code, body, _ := adminCall(t, ts, "DELETE", "/__admin/journal", basic("old-admin-token"), ""); code != 204 {
				t.Errorf("no admin token, a Basic password that is no access token: DELETE journal = %d %s; want 204 (the operator)", code, body)
			}
			code, body, _ := adminCall(t, ts, "DELETE", "/__admin/journal", basic(issue(t, ts, employer)), "")
			if want := forbidden(employer, "DELETE", "/__admin/journal"); code != 403 || body != want {
				t.Errorf("no admin token, a client's token as the Basic password: DELETE journal = %d %s; want 403 %s", code, body, want)
			}
			// Even a client's revoked token: with no admin token a browser
			// without credentials is the operator anyway (a Bearer is checked).
			if code, body, _ := adminCall(t, ts, "DELETE", "/__admin/journal", basic(revoked), ""); code != 204 {
				t.Errorf("no admin token, a revoked client token as the Basic password: DELETE journal = %d %s; want 204 (the operator)", code, body)
			}
		}
	}
}

// downRevocations is a revocation store that cannot be reached.
type downRevocations struct{ store.Revocations }

func (downRevocations) Watermarks(context.Context) (store.Watermarks, error) {
	return store.Watermarks{}, &store.UnavailableError{Backend: "test", RetryAfter: 2500 * time.Millisecond, Err: errors.New("connection refused")}
}

// A client's access token that cannot be checked (the revocation store is
// unavailable) is a 503 with Retry-After, as the API answers, never a 401
// and never the operator's access.
func TestAdmin_ClientTokenUnchecked(t *testing.T) {
	ts := stack.NewTestServer(t, stack.Config{Profile: fla.StackProfile(), Settings: stack.Settings{Demo: true},
		OAuth: mockoauth.Config{Revocations: downRevocations{store.NewRevocations(0)}}})
	tok := issue(t, ts, fla.DemoClients()[0].ClientID)
	req, _ := http.NewRequest("DELETE", ts.URL+"/__admin/faults", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p mockfla.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	want := "The admin credential could not be checked: the test state store is unavailable: connection refused"
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" || p.Type != mockfla.TypeServiceUnavailable || p.Detail != want || p.RetryAfterSec != 3 {
		t.Errorf("DELETE faults with an unchecked client token = %d, Retry-After %q, %+v; want 503, Retry-After 3, %q", resp.StatusCode, resp.Header.Get("Retry-After"), p, want)
	}
}

// An Authorization header that is present but holds no usable credential
// is a 401 saying why, with both challenges, also without an admin token:
// never "no credential", which would be the operator's unscoped access.
func TestAdmin_UnusableAuthorization(t *testing.T) {
	const schemes = "; it takes Authorization: Bearer <token>, or Basic with any user name and the token as password"
	unusable := func(why string) string {
		return problem(401, "invalidAccessToken", "Invalid Access Token", "This Authorization header holds no credential the admin API can use: "+why+schemes)
	}
	for _, adminToken := range []string{"", "s3cret"} {
		ts, employer, _ := adminStack(t, adminToken)
		own := issue(t, ts, employer)
		for _, tc := range []struct {
			what string
			auth []string
			want string
		}{
			{"a client token under another scheme", []string{"Token " + own}, unusable(`its scheme \"Token\" is not supported`)},
			{"Digest", []string{`Digest username="me", realm="flamock admin", response="6629fae49393a05397450978507c4ef1"`}, unusable(`its scheme \"Digest\" is not supported`)},
			{"a tab after the scheme", []string{"Bearer\t" + own}, unusable("it has no scheme (Bearer or Basic) and a space before the credential")},
			{"a scheme that is no token", []string{"Bearer/2 " + own}, unusable("its scheme is not supported")},
			{"a token without a scheme", []string{own}, unusable("it has no scheme (Bearer or Basic) and a space before the credential")},
			{"Bearer without a token", []string{"Bearer"}, unusable("it says Bearer but holds no token")},
			{"Bearer and spaces", []string{"Bearer    "}, unusable("it says Bearer but holds no token")},
			{"Basic that is no base64", []string{"Basic !!"}, unusable("its Basic credentials are not the base64 of user:password")},
			{"Basic without a colon", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(own))}, unusable("its Basic credentials are not the base64 of user:password")},
			{"Basic alone", []string{"basic"}, unusable("its Basic credentials are not the base64 of user:password")},
			{"an empty header", []string{""}, unusable("the Authorization header is empty")},
			{"two headers", []string{"Bearer " + own, "Bearer " + own}, unusable("the request has 2 Authorization headers, not one")},
		} {
			req, _ := http.NewRequest("GET", ts.URL+"/__admin/faults", nil)
			req.Header["Authorization"] = tc.auth
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if body := strings.TrimSpace(string(b)); resp.StatusCode != 401 || body != tc.want {
				t.Errorf("admin token %q, %s: GET /__admin/faults = %d %s; want 401 %s", adminToken, tc.what, resp.StatusCode, body, tc.want)
			}
			if ch := resp.Header.Values("WWW-Authenticate"); len(ch) != 2 || !strings.HasPrefix(ch[0], "Bearer ") || !strings.HasPrefix(ch[1], "Basic ") {
				t.Errorf("admin token %q, %s: WWW-Authenticate = %q; want a Bearer and a Basic challenge", adminToken, tc.what, ch)
			}
		}
	}
}
