package fla

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/stack"
)

// StackProfile is the FLA as a stack profile: flamock serve --profile fla (the
// default), flamock conform, and stack.New.
func StackProfile() stack.Profile {
	return stack.Profile{Name: Name, Summary: Summary, Build: build, API: API}
}

func build(set stack.Settings) (*stack.Parts, error) {
	opts, err := OptionsFromYAML(set.File)
	if err != nil {
		return nil, err
	}
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
	return &stack.Parts{Specs: Specs(), Qualities: Qualities(), Rules: p.Rules(), Demo: d}, nil
}

// OptionsFromYAML reads the FLA's keys of a flamock configuration file,
// mandates and serviceYears, and ignores the others:
//
//	mandates:
//	  - provider: "0314595348"
//	    employer: "0403019261"
//	    from: 2024-01-01        # YYYY-MM-DD or RFC 3339; until likewise
//	serviceYears: {first: 2023, last: 2025}
//
// Nil or empty data gives the zero Options.
func OptionsFromYAML(data []byte) (Options, error) {
	var file struct {
		Mandates []struct {
			Provider string `yaml:"provider"`
			Employer string `yaml:"employer"`
			From     date   `yaml:"from"`
			Until    date   `yaml:"until"`
		} `yaml:"mandates"`
		ServiceYears struct {
			First int `yaml:"first"`
			Last  int `yaml:"last"`
		} `yaml:"serviceYears"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return Options{}, fmt.Errorf("fla: config: %w", err)
	}
	var opts Options
	for _, m := range file.Mandates {
		opts.Mandates = append(opts.Mandates, Mandate{Provider: m.Provider, Employer: m.Employer, From: m.From.Time, Until: m.Until.Time})
	}
	opts.ServiceYears = Years{First: file.ServiceYears.First, Last: file.ServiceYears.Last}
	return opts, nil
}

// date is a day (YYYY-MM-DD) or an RFC 3339 instant in YAML.
type date struct{ time.Time }

func (d *date) UnmarshalYAML(n *yaml.Node) error {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, n.Value); err == nil {
			d.Time = t
			return nil
		}
	}
	return fmt.Errorf("line %d: %q is neither YYYY-MM-DD nor RFC 3339", n.Line, n.Value)
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
