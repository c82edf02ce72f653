package fla

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/mockfla"
)

// Default base paths, the paths of the documents' server URLs.
const (
	EmployerBasePath         = "/REST/careerpro-fla/v1"
	TrainingProviderBasePath = "/REST/careerpro-fla-training-provider/v1"
)

var (
	//go:embed fla.yaml
	employer []byte
	//go:embed fla-training-provider.yaml
	trainingProvider []byte
)

// Document is one embedded OpenAPI document.
type Document struct {
	Name     string // file name, e.g. "fla.yaml"
	BasePath string // default base path, no trailing slash
	Data     []byte // the YAML text; a copy the caller may keep or change
}

// FLA returns the employer-family document (employers, social secretariats
// and service providers), mounted by default at EmployerBasePath.
func FLA() Document {
	return Document{Name: "fla.yaml", BasePath: EmployerBasePath, Data: clone(employer)}
}

// FLATrainingProvider returns the training-provider document, mounted by
// default at TrainingProviderBasePath.
func FLATrainingProvider() Document {
	return Document{Name: "fla-training-provider.yaml", BasePath: TrainingProviderBasePath, Data: clone(trainingProvider)}
}

// Documents returns both FLA documents, employer family first.
func Documents() []Document { return []Document{FLA(), FLATrainingProvider()} }

// Specs returns both FLA documents as mockfla specs at their default base
// paths, selecting the FLA rules (Name).
func Specs() []mockfla.Spec {
	var out []mockfla.Spec
	for _, d := range Documents() {
		out = append(out, mockfla.Spec{Name: d.Name, Data: d.Data, BasePath: d.BasePath, Profile: Name})
	}
	return out
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// ExampleJSON returns the value of the document's named example
// (components.examples.NAME.value) as indented JSON, e.g. a request body that
// the document itself shows.
func (d Document) ExampleJSON(name string) ([]byte, error) {
	var doc struct {
		Components struct {
			Examples map[string]struct {
				Value any `yaml:"value"`
			} `yaml:"examples"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(d.Data, &doc); err != nil {
		return nil, fmt.Errorf("fla: %s: %w", d.Name, err)
	}
	ex, ok := doc.Components.Examples[name]
	if !ok {
		return nil, fmt.Errorf("fla: %s has no example %q", d.Name, name)
	}
	b, err := json.MarshalIndent(ex.Value, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("fla: %s: example %q: %w", d.Name, name, err)
	}
	return append(b, '\n'), nil
}
