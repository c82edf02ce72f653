package mockoauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// TestFaults_Vocabulary: the token endpoint takes the faults of the API
// mock's vocabulary: a method and path filter, a dropped connection, and
// the same checks (with the error a caller sees).
func TestFaults_Vocabulary(t *testing.T) {
	j := journal.New(journal.Config{})
	ts := NewTestServer(t, Config{QualityScopes: testQualityScopes(), Journal: j})
	post := func() (*http.Response, error) {
		return ts.Client().PostForm(ts.TokenURL(), url.Values{"grant_type": {"client_credentials"}})
	}
	if err := ts.QueueFault(Fault{Method: "GET", Status: 503}); err != nil {
		t.Fatal(err)
	}
	if err := ts.QueueFault(Fault{Path: "/other/*", Status: 502}); err != nil {
		t.Fatal(err)
	}
	if err := ts.QueueFault(Fault{Path: "*/v5/token", Drop: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := post(); err == nil {
		t.Fatal("the dropped request got an answer")
	}
	resp, err := post()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 { // the GET and /other/* faults did not match a POST to the token path
		t.Fatalf("after the drop: %d", resp.StatusCode)
	}
	if n := len(ts.Faults()); n != 2 {
		t.Fatalf("%d faults left; want the 2 that never matched", n)
	}
	evs := j.Events(0)
	if len(evs) < 1 || evs[0].Token.Stage != journal.StageFault || evs[0].Token.Verdict != journal.VerdictInjected || evs[0].Token.Description != "connection dropped" {
		t.Fatalf("journal: %+v", evs[0].Token)
	}
	ts.ClearFaults()
	err = ts.QueueFault(Fault{Status: 429, Limit: 5, Delay: time.Hour})
	want := "mockoauth: fault: delay 1h0m0s is more than 10m0s; limit applies to the API only"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v; want %q", err, want)
	}
	if err := ts.FailNext(2, Fault{}); err == nil || !strings.Contains(err.Error(), "a fault needs a status, a delay or drop") {
		t.Fatalf("FailNext of an empty fault: %v", err)
	}
}
