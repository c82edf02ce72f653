package mockfla

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The 2020-12 validator's errors become one issue per violation, named by
// path, in the words of the 3.0 validator's.
func TestNormalize2020(t *testing.T) {
	const schemas = `
    A:
      type: object
      additionalProperties: false
      required: [reason, from, to]
      properties:
        reason: {type: string, enum: [a, b]}
        from: {type: string}
        to: {type: string}
        n: {type: array, items: {type: integer}}
        sub: {$ref: '#/components/schemas/B'}
    B: {type: object, required: [x], properties: {x: {type: integer, minimum: 3}}}
`
	value, _ := decodeJSON([]byte(`{"reason":"x","extra":1,"other":2,"n":[1,"2"],"sub":{"x":1}}`))
	var got []string
	for _, v := range []string{"3.1.0", "3.0.3"} {
		doc := loadSchemas(t, v, schemas)
		opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
		if v == "3.1.0" {
			opts = append(opts, openapi3.EnableJSONSchema2020())
		}
		err := doc.Components.Schemas["A"].Value.VisitJSON(value, opts...)
		issues := schemaIssues(Issue{In: "body"}, err, "")
		var names []string
		for _, is := range issues {
			names = append(names, is.Name)
		}
		slices.Sort(names)
		if got == nil {
			got = names
			want := []string{"extra", "from", "n[1]", "other", "reason", "sub.x", "to"}
			if !slices.Equal(names, want) {
				t.Errorf("3.1 issues %v (%+v); want %v", names, issues, want)
			}
			for _, is := range issues {
				if reason2020.MatchString(is.Detail) || is.Detail == "" {
					t.Errorf("3.1 issue detail %q", is.Detail)
				}
			}
		} else if !slices.Equal(names, got) {
			t.Errorf("3.0 names the issues %v, 3.1 %v", names, got)
		}
	}
	if normalize2020(nil) != nil {
		t.Error("nil")
	}
}
