package generic_test

import (
	"fmt"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
)

type exampleTB struct{}

func (exampleTB) Helper()                        {}
func (exampleTB) Cleanup(func())                 {}
func (exampleTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// Any document, served with the generic profile: its demo client is granted
// every scope the document names.
func Example() {
	doc := `openapi: 3.0.3
info: {title: pets, version: "1"}
servers: [{url: /REST/pets/v1}]
security: [{oauth2: ["scope:pets:read"]}]
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {type: object}}}}}
components:
  securitySchemes:
    oauth2: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {"scope:pets:read": read}}}}
`
	ts := stack.NewTestServer(exampleTB{}, stack.Config{
		Profile:  generic.StackProfile(),
		Settings: stack.Settings{Demo: true},
		Specs:    []mockfla.Spec{{Name: "pets.yaml", Data: []byte(doc)}},
	})
	defer ts.Close()
	for _, m := range ts.API.Mounts() {
		fmt.Println(m.BasePath, m.Operations, m.Profile)
	}
	fmt.Println(ts.Demo.Clients[0].ID, ts.API.Scopes())
	// Output:
	// /REST/pets/v1/ 1 none
	// self_service_chaman_880820_democlient [scope:pets:read]
}
