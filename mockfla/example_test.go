package mockfla_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
)

// oneToken is a TokenVerifier that knows a single token; in real use,
// pass a *mockoauth.Server.
type oneToken struct {
	token  string
	caller mockfla.Caller
}

func (v oneToken) VerifyAccessToken(_ context.Context, token string, required []string) (mockfla.Caller, error) {
	if token != v.token {
		return mockfla.Caller{}, bearer.ErrInvalid
	}
	for _, s := range required {
		if v.caller.HasScope(s) {
			return v.caller, nil
		}
	}
	if len(required) > 0 {
		return mockfla.Caller{}, &bearer.ScopeError{Required: required, Granted: v.caller.Scopes}
	}
	return v.caller, nil
}

// exampleTB stands in for the *testing.T of a real test.
type exampleTB struct{}

func (exampleTB) Helper()                        {}
func (exampleTB) Cleanup(func())                 {}
func (exampleTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

var exampleT mockfla.TB = exampleTB{}

// The seed's Postman call (§7.3.1), made against a mock started in a test.
func ExampleNewTestServer() {
	profile, _ := fla.New(fla.Options{})
	ts := mockfla.NewTestServer(exampleT, mockfla.Config{
		Specs: fla.Specs(),
		Rules: []*mockfla.Rules{profile.Rules()},
		Verifier: oneToken{token: "t0k3n", caller: mockfla.Caller{
			ClientID: "self_service_chaman_123456_abcdefghij", Quality: fla.QualityEmployer,
			EnterpriseNumber: "0880820673", Scopes: []string{fla.EmployerScope},
		}},
	})
	defer ts.Close()

	body := `{"trainings":[{"name":"Safety at work","startDate":"2023-03-06","endDate":"2023-03-07",` +
		`"duration":{"value":2,"unit":"days"},"status":"completed","trainingType":"formal"}]}`
	for _, ssin := range []string{"65111899801", "65111899802"} {
		req, _ := http.NewRequest("PUT", ts.URL+fla.EmployerBasePath+"/employers/880820673/employees/"+ssin+"/calendarYears/2023/trainings", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t0k3n")
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), strings.Contains(string(b), "invalid check digit"))
	}
	// Output:
	// 200 application/json false
	// 400 application/problem+json true
}
