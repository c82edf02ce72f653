// Package generic is the profile of any OpenAPI document a user loads
// (flamock serve --spec FILE[@BASEPATH] without --profile): the engine's
// behaviours alone, no rules and no qualities of its own. A client without
// scopes of its own, whatever its quality, and the one demo client are
// granted every scope the documents' security requirements name.
package generic

import (
	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/stack"
)

// Name is the profile's name (flamock serve --profile generic).
const Name = "generic"

// StackProfile is the generic profile. It serves only the documents the user
// gives (stack.Config.Specs).
func StackProfile() stack.Profile {
	return stack.Profile{
		Name:    Name,
		Summary: "any OpenAPI 3.x or Swagger 2.0 document given with --spec: the engine alone, a demo client with every scope",
		Build:   build,
		API:     API,
	}
}

func build(stack.Settings) (*stack.Parts, error) {
	return &stack.Parts{AllScopes: true, Demo: &stack.Demo{Clients: []stack.DemoClient{{
		ID: DemoClientID, Quality: "client", EnterpriseNumber: "0880820673", Name: "client",
		Key: certgen.RSA2048, Digest: certgen.SHA256, AllScopes: true,
	}}}}, nil
}

// DemoClientID is the client id of the generic profile's demo client.
const DemoClientID = "self_service_chaman_880820_democlient"
