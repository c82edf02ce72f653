package fla_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

// The FLA rules: mandates, the computed credit, the training-provider
// family (moved here from mockfla with the rules).

const providerTraining = `{"name":"Forklift","startDate":"2024-07-01","endDate":"2024-07-03","duration":{"value":21,"unit":"hours"},"trainingType":"formal","participants":[{"ssin":"85073003328","employerId":"0880820673","status":"completed","certificate":{"received":true,"validUntil":"2029-07-03"}},{"ssin":"98472899765","status":"notFollowed"}]}`

// TestServer_Mandates checks mandate windows and SetMandates.
func TestServer_Mandates(t *testing.T) {
	cfg, profile := flaConfig(fla.Options{Mandates: []fla.Mandate{{Provider: providerEN, Employer: employerEN, Until: fixedNow}}}) // ended just now
	s := newServer(t, cfg)
	if r := do(t, s, "GET", seed, providerTok, ""); r.status != 403 {
		t.Fatalf("expired mandate: %d %s", r.status, r.body)
	}
	if err := profile.SetMandates([]fla.Mandate{{Provider: providerEN, Employer: employerEN, From: fixedNow}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, "GET", seed, providerTok, ""); r.status != 404 {
		t.Fatalf("active mandate: %d %s", r.status, r.body)
	}
	err := profile.SetMandates([]fla.Mandate{{Provider: providerEN, Employer: employerEN}, {Provider: stranger, Employer: employerEN, From: fixedNow}})
	if err == nil || !strings.Contains(err.Error(), "only one") {
		t.Fatalf("two mandataries at once: err = %v", err)
	}
}

// TestServer_CreditAndOptOut checks the computed credit.
func TestServer_CreditAndOptOut(t *testing.T) {
	s := newServer(t, baseConfig())
	base := emp + "/employers/880820673/employees/65111899801/calendarYears/2023/"
	if r := do(t, s, "GET", base+"trainingCredit", employerTok, ""); r.status != 404 {
		t.Fatalf("credit without rights = %d %s", r.status, r.body)
	}
	if r := do(t, s, "PUT", base+"trainingRights", employerTok, `{"rightDays":4,"carriedOverDays":1}`); r.status != 200 {
		t.Fatalf("rights = %d %s", r.status, r.body)
	}
	if r := do(t, s, "PUT", seed, employerTok, trainingSet); r.status != 200 {
		t.Fatalf("trainings = %d %s", r.status, r.body)
	}
	r := do(t, s, "GET", base+"trainingCredit", employerTok, "")
	want := `{"automaticCalculation":true,"calendarYear":2023,"followedDays":2.5,"remainingDays":2.5,"rightDays":5}`
	if r.status != 200 || string(r.body) != want {
		t.Fatalf("credit = %d %s; want %s", r.status, r.body, want)
	}
	if r := do(t, s, "PUT", emp+"/employers/0880820673/calendarYears/2023/optOut", employerTok, `{}`); r.status != 200 {
		t.Fatalf("opt out = %d %s", r.status, r.body)
	}
	r = do(t, s, "GET", base+"trainingCredit", employerTok, "")
	if !strings.Contains(string(r.body), `"automaticCalculation":false`) {
		t.Fatalf("credit after opt-out = %s", r.body)
	}
}

// TestServer_TrainingProvider checks the provider family: identifiers in
// the body, rules, and the paginated list.
func TestServer_TrainingProvider(t *testing.T) {
	s := newServer(t, baseConfig())
	res := tp + "/trainingProviders/314595348/trainings/"
	for _, ref := range []string{"C", "A", "B"} {
		if r := do(t, s, "PUT", res+ref, trainerTok, providerTraining); r.status != 200 {
			t.Fatalf("PUT %s = %d %s", ref, r.status, r.body)
		}
	}
	other := strings.Replace(providerTraining, "2024-07-01", "2023-07-01", 1)
	other = strings.Replace(other, "2024-07-03", "2023-07-03", 1)
	if r := do(t, s, "PUT", res+"OLD", trainerTok, other); r.status != 200 {
		t.Fatalf("PUT OLD = %d %s", r.status, r.body)
	}
	list := tp + "/trainingProviders/0314595348/calendarYears/2024/trainings"
	r := do(t, s, "GET", list+"?pageSize=2", trainerTok, "")
	var page struct {
		Items []struct {
			Reference        string `json:"reference"`
			Href             string `json:"href"`
			ParticipantCount int    `json:"participantCount"`
		} `json:"items"`
		Next, Prev, Self string
		Page, PageSize   int
		TotalItems       int `json:"totalItems"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
		t.Fatalf("list = %d %s (%v)", r.status, r.body, err)
	}
	if len(page.Items) != 2 || page.Items[0].Reference != "A" || page.Items[1].Reference != "B" || page.TotalItems != 3 ||
		page.Next != list+"?page=2&pageSize=2" || page.Prev != "" || page.Items[0].ParticipantCount != 2 ||
		page.Items[0].Href != tp+"/trainingProviders/0314595348/trainings/A" {
		t.Fatalf("page 1 = %s", r.body)
	}
	r = do(t, s, "GET", list+"?page=2&pageSize=2", trainerTok, "")
	if !strings.Contains(string(r.body), `"reference":"C"`) || strings.Contains(string(r.body), `"next"`) {
		t.Fatalf("page 2 = %s", r.body)
	}
	r = do(t, s, "GET", list+"?page=0", trainerTok, "")
	if p := r.problem(t); r.status != 400 || p.Issues[0].In != "query" || p.Issues[0].Name != "page" || p.Issues[0].Value != "0" {
		t.Fatalf("page=0: %d %s", r.status, r.body)
	}
	bad := strings.Replace(providerTraining, "0880820673", "0880820674", 1)
	bad = strings.Replace(bad, "98472899765", "85073003328", 1)
	r = do(t, s, "PUT", res+"BAD", trainerTok, bad)
	p := r.problem(t)
	if r.status != 400 || len(p.Issues) != 1 || p.Issues[0].Name != "participants[0].employerId" || p.Issues[0].Type != mockfla.IssueInvalidInput {
		t.Fatalf("bad employerId: %d %s", r.status, r.body)
	}
	bad = strings.Replace(providerTraining, "98472899765", "85073003328", 1)
	r = do(t, s, "PUT", res+"DUP", trainerTok, bad)
	if p := r.problem(t); r.status != 400 || p.Issues[0].Name != "participants[1].ssin" {
		t.Fatalf("duplicate participant: %d %s", r.status, r.body)
	}
}
