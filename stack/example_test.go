package stack_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/stack"
)

// exampleTB stands in for the *testing.T of a real test.
type exampleTB struct{}

func (exampleTB) Helper()                        {}
func (exampleTB) Cleanup(func())                 {}
func (exampleTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// The whole of flamock serve in a Go test: the FLA profile's documents and
// rules, the token endpoint, the admin API and an extra admin page.
func ExampleNewTestServer() {
	profile, err := profiles.Lookup("fla")
	if err != nil {
		panic(err)
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from /__admin/hello") })
	ts := stack.NewTestServer(exampleTB{}, stack.Config{
		Profile:       profile,
		AdminHandlers: map[string]http.Handler{"GET /__admin/hello": page},
	})
	defer ts.Close()

	fmt.Println(ts.TokenURL() == ts.URL+"/REST/oauth/v5/token")
	for _, m := range ts.API.Mounts() {
		fmt.Println(m.BasePath, m.Profile)
	}
	resp, err := ts.Client().Get(ts.URL + "/__admin/hello")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output:
	// true
	// /REST/careerpro-fla-training-provider/v1/ fla
	// /REST/careerpro-fla/v1/ fla
	// hello from /__admin/hello
}
