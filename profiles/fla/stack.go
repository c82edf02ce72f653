package fla

import (
	"github.com/flamock/flamock/stack"
)

// StackProfile is the FLA as a stack profile: flamock serve --profile fla (the
// default), flamock conform, and stack.New.
func StackProfile() stack.Profile {
	return stack.Profile{Name: Name, Summary: Summary, Build: build, API: API,
		Config: func() any { return &ConfigKeys{} }, ConfigExample: configExample}
}

func build(set stack.Settings) (*stack.Parts, error) {
	opts := optionsOf(set.Config)
	opts.State = set.State
	if set.Demo {
		opts.Mandates = append(opts.Mandates, DemoMandates()...)
	}
	if set.Conformance {
		opts.Mandates = append(opts.Mandates, ConformanceMandates()...)
	}
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	d, err := demo()
	if err != nil {
		return nil, err
	}
	return &stack.Parts{Specs: Specs(), Qualities: Qualities(), Rules: p.Rules(), Demo: d, ActsFor: p.mandators}, nil
}

// demo is the FLA's demo: the three demo clients and the seed's Postman
// call (§7.3.1).
func demo() (*stack.Demo, error) {
	body, err := FLA().ExampleJSON("TrainingSet")
	if err != nil {
		return nil, err
	}
	cs := DemoClients()
	d := &stack.Demo{
		BodyFile: "trainings-2023.json",
		Body:     body,
		Intro:    "A first call, as the employer (the seed's Postman example, §7.3.1):",
	}
	for i, c := range cs {
		dc := stack.DemoClient{ID: c.ClientID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Name: c.Name, Key: c.Key, Digest: c.Digest}
		if i == 1 {
			dc.Note = "mandated by " + cs[0].EnterpriseNumber
		}
		d.Clients = append(d.Clients, dc)
	}
	path := EmployerBasePath + "/employers/880820673/employees/65111899801/calendarYears/2023/trainings"
	d.Calls = []stack.DemoCall{{Method: "PUT", Path: path, Body: true}, {Method: "GET", Path: path}}
	return d, nil
}
