package conformance_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/internal/journal"
)

// Every rule has a stable id, a level and the source it comes from.
func ExampleRuleByID() {
	r, _ := conformance.RuleByID("OAUTH-EXP-01")
	fmt.Println(r.ID, r.Level, "-", r.Title)
	fmt.Println("source:", r.Source)
	// Output:
	// OAUTH-EXP-01 MUST - exp is present and at most 10 minutes after iat, or after the request when there is no iat
	// source: seed §6.1; RFC 7523 §3 item 4
}

// Verify judges recorded traffic: here one token request whose assertion
// lived an hour, as `flamock serve --journal` would have written it. The
// text report lists the failures first.
func ExampleVerify() {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ev := journal.Event{Seq: 1, Time: at, Kind: journal.KindToken, Token: &journal.Token{
		ClientID: "self_service_chaman_403019_acmepayrol", Method: "POST", ContentType: "application/x-www-form-urlencoded",
		GrantType: "client_credentials", AssertionType: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		Header: map[string]any{"alg": "RS256"},
		Claims: map[string]any{"iss": "self_service_chaman_403019_acmepayrol", "sub": "self_service_chaman_403019_acmepayrol",
			"aud": "https://services.socialsecurity.be/REST/oauth/v5/token", "jti": "1",
			"iat": float64(at.Unix()), "exp": float64(at.Add(time.Hour).Unix())},
		Verdict: journal.VerdictRefused, Status: 400, Error: "invalid_client", Stage: journal.StageLifetime,
	}}
	rep := conformance.Verify([]journal.Event{ev}, conformance.VerifyConfig{
		ClientID: "self_service_chaman_403019_acmepayrol", TokenURL: "https://services.socialsecurity.be/REST/oauth/v5/token"})
	var out strings.Builder
	rep.WriteText(&out)
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "OAUTH-EXP-01") || strings.Contains(line, "OAUTH-AUD-01") {
			fmt.Println(strings.Join(strings.Fields(line)[:2], " "))
		}
	}
	// Output:
	// FAIL OAUTH-EXP-01
	// PASS OAUTH-AUD-01
}
