package fla_test

import (
	"strings"
	"testing"

	"github.com/flamock/flamock/profiles/fla"
)

// TestNew_Errors: New reports every problem of the options at once.
func TestNew_Errors(t *testing.T) {
	_, err := fla.New(fla.Options{
		ServiceYears: fla.Years{First: 2025, Last: 2023},
		Mandates:     []fla.Mandate{{Provider: "123", Employer: "0880820673"}},
		MaxTrainings: -1,
	})
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"fla: service years 2025 to 2023: first after last", "fla: mandate 0: provider", "fla: MaxTrainings -1 is negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestProfile_Defaults: the zero Options give the documented defaults.
func TestProfile_Defaults(t *testing.T) {
	p, err := fla.New(fla.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ServiceYears() != fla.DefaultServiceYears() || len(p.Mandates()) != 0 {
		t.Fatalf("years %v, mandates %v", p.ServiceYears(), p.Mandates())
	}
	r := p.Rules()
	if r.Name != fla.Name || len(r.Operations) != 16 || r.Admin == nil {
		t.Fatalf("rules %s: %d operations, admin %v", r.Name, len(r.Operations), r.Admin != nil)
	}
}
