package mockfla

import (
	"context"
	"errors"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// This file exports what a profile's API model (package stack) reads of a
// document the way the engine reads it: the document itself, a request
// value a schema accepts, whether it accepts one, and which parameters
// carry a Belgian identifier.

// Document is one OpenAPI document as the engine reads it: Swagger 2.0
// converted to OpenAPI 3.0, server URLs dropped, the base path resolved
// (Spec.BasePath, else the document's own). It is read-only.
type Document struct {
	Name     string // Spec.Name, or "spec 0"
	BasePath string // "" for the root, else "/a/b" without trailing slash
	Doc      *openapi3.T
}

// LoadDocument reads and checks one document as New does (the same
// errors), without its rules: Spec.Profile is not looked up.
func LoadDocument(sp Spec) (Document, error) {
	sp.Profile = ProfileNone
	m, err := loadSpec(context.Background(), 0, sp, nil, false)
	if m == nil || err != nil {
		if err == nil {
			err = errors.New("mockfla: document not loaded")
		}
		return Document{}, err
	}
	return Document{Name: m.name, BasePath: m.base, Doc: m.doc}, nil
}

// SampleRequestValue returns a value that schema accepts in a request
// (readOnly properties left out): the schema's example, default, const or
// first enum value where one is valid, else one synthesized from its
// structure as the engine synthesizes its answers. A nil schema gives an
// empty object. doc says which JSON Schema dialect applies (3.1: 2020-12).
func SampleRequestValue(doc *openapi3.T, schema *openapi3.SchemaRef, now time.Time) any {
	g := &synthesizer{now: now, request: true, oas31: doc != nil && doc.IsOpenAPI31OrLater()}
	return g.sample(schema)
}

// CheckRequestValue reports why schema refuses v as a request value (nil:
// it accepts it), v being compared as it would be after JSON encoding.
func CheckRequestValue(doc *openapi3.T, schema *openapi3.SchemaRef, v any) error {
	if schema == nil || schema.Value == nil {
		return nil
	}
	g := &synthesizer{request: true, oas31: doc != nil && doc.IsOpenAPI31OrLater()}
	return g.valid(schema.Value, v)
}

// IdentifierKind is the kind of Belgian identifier the engine checks in a
// parameter of that name and schema ("SSIN", "enterprise number", "NSSO
// employer number"), or "" for none.
func IdentifierKind(name string, schema *openapi3.SchemaRef) string {
	return identifierKind(name, schema)
}
