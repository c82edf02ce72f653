package generic

import (
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/stack"
)

// ConformanceClientID is the client id flamock conform registers the
// client's certificate under, on any document.
const ConformanceClientID = stack.DefaultConformanceClient

// API is the model of the documents a user gives (stack.Profile.API): the
// engine's reading of them, no qualities, a demo client and a conformance
// client with every scope of the documents.
func API(specs []mockfla.Spec, set stack.Settings) (*stack.API, error) {
	a, err := stack.NewAPI(Name, specs, stack.Hints{})
	if err != nil {
		return nil, err
	}
	parts, err := build(set)
	if err != nil {
		return nil, err
	}
	a.Demo = parts.Demo
	a.Conformance = stack.Conformance{
		Client: stack.Identity{ClientID: ConformanceClientID, Quality: "client", EnterpriseNumber: "0880820673"},
		Scopes: a.Scopes,
	}
	return a, nil
}
