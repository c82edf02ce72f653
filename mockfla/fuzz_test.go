package mockfla_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// holdFuzzed checks what every answer has: a BelGov-Trace-Id of the
// server's, the caller's own echoed, and, for a problem, a Belgif shape
// (a type, the HTTP status, an href for each Belgif issue type).
func holdFuzzed(t *testing.T, rec *httptest.ResponseRecorder, own string) {
	t.Helper()
	h := rec.Header()
	if !uuidV4.MatchString(h.Get("BelGov-Trace-Id")) {
		t.Fatalf("BelGov-Trace-Id %q", h.Get("BelGov-Trace-Id"))
	}
	if own != "" && h.Get("BelGov-Related-Trace-Id") != own {
		t.Fatalf("BelGov-Related-Trace-Id %q; sent %q", h.Get("BelGov-Related-Trace-Id"), own)
	}
	if h.Get("Content-Type") != "application/problem+json" {
		return
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Issues []struct {
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"issues"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type == "" || p.Status != rec.Code {
		t.Fatalf("problem %d %s: %v", rec.Code, rec.Body, err)
	}
	for i, is := range p.Issues {
		if kind, ok := strings.CutPrefix(is.Type, "urn:problem-type:belgif:input-validation:"); ok && is.Href != guide+"issues/"+kind+".html" {
			t.Fatalf("issues[%d] href %q for %s", i, is.Href, is.Type)
		}
	}
}

var fuzzMethods = []string{"GET", "PUT", "DELETE", "POST", "PATCH"}

// FuzzServeHTTP sends arbitrary methods, paths, tokens and JSON bodies
// through the whole handler (Strict on, so drift is a 500 too): it must never
// panic and never answer 5xx.
func FuzzServeHTTP(f *testing.F) {
	f.Add(uint8(1), seed, employerTok, trainingSet)
	f.Add(uint8(1), seed, providerTok, `{"trainings":[{"name":"x","startDate":"2023-01-01","endDate":"2023-01-01","duration":{"value":1e308,"unit":"hours"},"status":"completed","trainingType":"formal"}]}`)
	f.Add(uint8(0), emp+"/employers/880820673/employees/65111899801/calendarYears/2023/trainingCredit", employerTok, "")
	f.Add(uint8(1), tp+"/trainingProviders/0314595348/trainings/A.b-c", trainerTok, providerTraining)
	f.Add(uint8(0), tp+"/trainingProviders/0314595348/calendarYears/2024/trainings?page=99999999999&pageSize=100", trainerTok, "")
	f.Add(uint8(1), emp+"/employers/880820673/employees/65111899801/calendarYears/2023/trainingRights", employerTok, `{"rightDays":1e400}`)
	f.Add(uint8(1), emp+"/employers/%2e%2e/employees/%00/calendarYears/-1/trainings", employerTok, `[`)
	f.Add(uint8(3), "/__admin/../REST/careerpro-fla/v1", "", `{"a":`+strings.Repeat("[", 100))
	f.Add(uint8(0), seed+"?colour=red&access_token=x&colour=%zz&&=", employerTok, "")
	f.Add(uint8(1), seed+"?;a=b", employerTok, `{"trainings":[],"x":{"y":1}}`)
	s := newServer(f, baseConfig())
	f.Fuzz(func(t *testing.T, m uint8, path, token, body string) {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/__admin") {
			path = "/" + strings.TrimPrefix(path, "/__admin")
		}
		req, err := newFuzzRequest(fuzzMethods[int(m)%len(fuzzMethods)], path, body)
		if err != nil {
			return
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("BelGov-Trace-Id", token)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%q) = %d %s", req.Method, path, body, rec.Code, rec.Body)
		}
		holdFuzzed(t, rec, token)
	})
}

// FuzzTrainingsBody fuzzes only the body of an authorised PUT of the seed's
// trainings, where every layer up to the store runs.
func FuzzTrainingsBody(f *testing.F) {
	f.Add(trainingSet)
	f.Add(`{"trainings":[]}`)
	f.Add(`{"trainings":[{"name":"x","startDate":"2023-12-31","endDate":"2023-01-01","duration":{"value":0.0000001,"unit":"days"},"status":"completed","trainingType":"formal","certificate":{"received":true,"validUntil":"0001-01-01"}}]}`)
	f.Add(`{"trainings":[{"reference":"\u0000","name":"\ud800"}]}`)
	s := newServer(f, baseConfig())
	f.Fuzz(func(t *testing.T, body string) {
		req, err := newFuzzRequest("PUT", seed, body)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+providerTok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("PUT %q = %d %s", body, rec.Code, rec.Body)
		}
		if rec.Code == 200 {
			get, _ := newFuzzRequest("GET", seed, "")
			get.Header.Set("Authorization", "Bearer "+employerTok)
			rec2 := httptest.NewRecorder()
			s.ServeHTTP(rec2, get)
			if rec2.Code != 200 || rec2.Body.String() != rec.Body.String() {
				t.Fatalf("GET after PUT %q = %d %s", body, rec2.Code, rec2.Body)
			}
		}
	})
}
