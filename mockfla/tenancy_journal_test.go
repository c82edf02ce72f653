package mockfla_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
)

type journalPage struct {
	Events []struct {
		Seq uint64
		API struct{ ClientID, Method string }
	}
	Last uint64
}

// GET /__admin/journal?clientId=ID answers that client's events only;
// "last" is the last event read, so a poller goes on from there.
func TestTenancy_JournalOfOneClient(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "GET", seed, employerTok, "")
	do(t, s, "GET", seed, providerTok, "")
	do(t, s, "PUT", seed, employerTok, trainingSet)
	do(t, s, "GET", seed, providerTok, "")
	r := do(t, s, "GET", "/__admin/journal?clientId="+employerClient, "", "")
	var page journalPage
	if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
		t.Fatalf("journal of the employer = %d %s", r.status, r.body)
	}
	var got []string
	for _, e := range page.Events {
		got = append(got, e.API.Method+" "+e.API.ClientID)
	}
	if want := "GET " + employerClient + ",PUT " + employerClient; strings.Join(got, ",") != want || page.Last != 4 {
		t.Errorf("journal of the employer = %q, last %d; want %s, last 4", got, page.Last, want)
	}
}

// The event stream with ?clientId=ID sends that client's events only.
func TestTenancy_StreamOfOneClient(t *testing.T) {
	ts := mockfla.NewTestServer(t, baseConfig())
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/__admin/journal/stream?clientId="+providerClient, nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, tok := range []string{employerTok, employerTok, providerTok} {
		r, _ := http.NewRequest("GET", ts.URL+seed, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rr, err := ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		rr.Body.Close()
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Seq uint64
			API struct{ ClientID string }
		}
		if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.Seq != 3 || ev.API.ClientID != providerClient {
			t.Fatalf("first streamed event = %s; want seq 3, the provider's call (the employer's two are not sent)", d)
		}
		return
	}
	t.Fatalf("stream ended without an event: %v", sc.Err())
}

// A call an unscoped fault answers, before authentication, is still the
// client's in its journal view (named from its valid token).
func TestTenancy_FaultedCallInTheClientsJournal(t *testing.T) {
	s := newServer(t, baseConfig())
	do(t, s, "POST", "/__admin/faults", "", `{"status":503}`)
	if r := do(t, s, "GET", seed, employerTok, ""); r.status != 503 {
		t.Fatalf("GET = %d; want the planted 503", r.status)
	}
	var page journalPage
	json.Unmarshal(do(t, s, "GET", "/__admin/journal?clientId="+employerClient, "", "").body, &page)
	if len(page.Events) != 1 || page.Events[0].API.ClientID != employerClient {
		t.Fatalf("employer's journal = %+v; want the faulted call", page.Events)
	}
}
