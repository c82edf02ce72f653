package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flamock/flamock/internal/journal"
)

// The journal, and so the inspector, keeps each API call's request and
// response bodies, credentials redacted: why a call was refused is often
// in them.
func TestJournalKeepsBodies(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "")
	p := startServe(t, "--config", cfg)
	client := &http.Client{}
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	put := trainingsURL(p.base, "403019261", testSSIN(1), 2023)
	r := call(t, client, "PUT", put, token, `{"trainings":"none","password":"hunter2"}`)
	if r.status != 400 {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	resp, err := client.Get(p.base + "/__admin/journal")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var evs struct {
		Events []journal.Event `json:"events"`
	}
	if err := json.Unmarshal(b, &evs); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var api *journal.API
	for _, ev := range evs.Events {
		if ev.API != nil && ev.API.Method == "PUT" {
			api = ev.API
		}
	}
	if api == nil {
		t.Fatalf("no PUT in the journal: %s", b)
	}
	if want := `{"password":"REDACTED","trainings":"none"}`; api.RequestBody != want {
		t.Errorf("requestBody %q; want %q", api.RequestBody, want)
	}
	if !strings.Contains(api.ResponseBody, `"status":400`) || api.ResponseBody != strings.TrimSpace(r.raw) {
		t.Errorf("responseBody %q; want the answer %q", api.ResponseBody, r.raw)
	}
	if strings.Contains(api.RequestBody, "hunter2") {
		t.Error("the journal's request body holds the password")
	}
	page, _ := client.Get(p.base + "/__admin/ui")
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, want := range []string{`"request body"`, `a.requestBody`, `"response body"`, `a.responseBody`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the inspector page does not show %s", want)
		}
	}
}
