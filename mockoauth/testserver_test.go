package mockoauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/certgen"
)

func TestNewTestServer(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[tls]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t, newClock())
			cfg.Audience = ""
			cfg.Now = nil // real time: the certificates are valid around t0 only
			bundle := mustBundle(t, certgen.Request{Now: time.Now})
			cfg.Clients = []Client{{ID: employerID, Quality: QualityEmployer, Certificates: certsOf(bundle)}}
			var ts *TestServer
			if tls {
				ts = NewTLSTestServer(t, cfg)
			} else {
				ts = NewTestServer(t, cfg)
			}
			if !strings.HasPrefix(ts.TokenURL(), name+"://127.0.0.1:") || strings.HasSuffix(ts.TokenURL(), "/") || ts.Config().Audience != ts.TokenURL() {
				t.Fatalf("TokenURL %q, audience %q", ts.TokenURL(), ts.Config().Audience)
			}
			c := claimsFor(employerID, time.Now())
			c["aud"] = ts.TokenURL()
			resp, err := ts.Client().PostForm(ts.TokenURL(), form(sign(t, "PS256", c, bundle.Key, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %v %v", resp.StatusCode, body, err)
			}
			if _, err := ts.VerifyAccessToken(t.Context(), body["access_token"].(string), []string{ScopeEmployer}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestAdminHandler drives the knobs over HTTP, as a test in another
// language would.
func TestAdminHandler(t *testing.T) {
	b := mustBundle(t, certgen.Request{Now: time.Now, CommonName: "admin-added"})
	ts := NewTestServer(t, Config{QualityScopes: testQualityScopes()})
	call := func(method, path, body string, wantStatus int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, ts.AdminURL()+path, strings.NewReader(body))
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s: %d %s; want %d", method, path, resp.StatusCode, raw, wantStatus)
		}
		return out
	}
	pemText, _ := json.Marshal(string(b.CertPEM()))
	call("POST", "/clients", `{"clientId":"c1","quality":"employer","enterpriseNumber":"0880820673","certificates":[`+string(pemText)+`]}`, 201)
	call("POST", "/clients", `{"clientId":"c2","quality":"employer","certificates":["not a cert"]}`, 400)
	if got := call("GET", "/clients", "", 200); !strings.Contains(mustJSON(got), certgen.ThumbprintsOf(b.Cert).X5T) {
		t.Errorf("clients = %v", got)
	}
	tok := call("POST", "/tokens", `{"clientId":"c1"}`, 200)["access_token"].(string)
	if _, err := ts.VerifyAccessToken(t.Context(), tok, nil); err != nil {
		t.Fatal(err)
	}
	call("POST", "/tokens/revoke", `{"token":"`+tok+`"}`, 200)
	if _, err := ts.VerifyAccessToken(t.Context(), tok, nil); !errors.Is(err, ErrRevoked) {
		t.Errorf("after revoke: %v", err)
	}
	call("POST", "/tokens/expire", `{}`, 200)
	call("PUT", "/clock", `{"offset":"-90s"}`, 200)
	if ts.ClockOffset() != -90*time.Second {
		t.Errorf("offset = %v", ts.ClockOffset())
	}
	if out := call("POST", "/faults", `{"count":1,"status":429,"error":"slow_down","retryAfter":"3s"}`, 201); fmt.Sprint(out["faults"]) != "[map[count:1 error:slow_down left:1 retryAfter:3s status:429]]" {
		t.Errorf("queued: %v", out)
	}
	if out := call("GET", "/faults", "", 200); fmt.Sprint(out["faults"]) != "[map[count:1 error:slow_down left:1 retryAfter:3s status:429]]" {
		t.Errorf("listed: %v", out)
	}
	resp, err := http.Post(ts.TokenURL(), "application/x-www-form-urlencoded", bytes.NewReader([]byte("grant_type=client_credentials")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("planted fault: %d %v", resp.StatusCode, resp.Header)
	}
	if out := call("POST", "/faults", `{"status":503,"retryAftr":"5s"}`, 400); out["error_description"] != `unknown key "retryAftr" (known keys: method, path, count, status, delay, retryAfter, drop, detail, error, malformed, limit, clientId)` {
		t.Errorf("unknown key: %v", out)
	}
	if out := call("POST", "/faults", `{"status":429,"limit":3}`, 400); out["error_description"] != "[0]: limit applies to the API only" {
		t.Errorf("API-only key: %v", out)
	}
	if out := call("PUT", "/clock", `{"offset":"1s","ofset":"2s"}`, 400); out["error_description"] != `request body: unknown key "ofset"` {
		t.Errorf("unknown key in /clock: %v", out)
	}
	call("POST", "/faults", `[{"delay":"1ms"},{"status":500}]`, 201)
	call("DELETE", "/faults", "", 204)
	if out := call("GET", "/faults", "", 200); fmt.Sprint(out["faults"]) != "[]" {
		t.Errorf("after DELETE: %v", out)
	}
	call("DELETE", "/clients/c1", "", 200)
	call("DELETE", "/clients/c1", "", 404)
	if st := call("GET", "/stats", "", 200); st["revocations"] != 1.0 || st["tokens"] != 0.0 {
		t.Errorf("stats = %v", st)
	}
}
