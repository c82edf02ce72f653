package stack

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/mockfla"
)

// maxBroken is how many properties an invalid body breaks: several, so
// that the 400 has several issues to report.
const maxBroken = 3

// invalidBody breaks a valid JSON body: up to maxBroken properties get a
// value of the wrong type, else the whole body has the wrong type. ok is
// false when the schema refuses nothing.
func (b reqBuilder) invalidBody(schema *openapi3.SchemaRef, valid any) (v any, why string, ok bool) {
	if obj, isObj := valid.(map[string]any); isObj && schema != nil && schema.Value != nil {
		props := properties(schema.Value)
		out := maps.Clone(obj)
		var broken []string
		for _, name := range slices.Sorted(maps.Keys(props)) {
			if len(broken) == maxBroken {
				break
			}
			p := props[name]
			if p == nil || p.Value == nil || p.Value.ReadOnly {
				continue
			}
			wrong := wrongValue(p.Value)
			if wrong == nil || mockfla.CheckRequestValue(b.doc, p, wrong) == nil {
				continue
			}
			out[name] = wrong
			broken = append(broken, name)
		}
		if len(broken) > 0 && mockfla.CheckRequestValue(b.doc, schema, out) != nil {
			return out, "wrong values for " + strings.Join(broken, ", "), true
		}
	}
	for _, w := range []any{"not a valid body", []any{"not a valid body"}, 0.5} {
		if mockfla.CheckRequestValue(b.doc, schema, w) != nil {
			return w, fmt.Sprintf("a body of the wrong type (%s)", kindOf(w)), true
		}
	}
	return nil, "", false
}

// properties are a schema's own properties and those of its allOf parts.
func properties(s *openapi3.Schema) openapi3.Schemas {
	out := openapi3.Schemas{}
	for _, part := range s.AllOf {
		if part != nil && part.Value != nil {
			maps.Copy(out, properties(part.Value))
		}
	}
	maps.Copy(out, s.Properties)
	return out
}

// wrongValue is a value of another type than the schema's, nil when the
// schema names no type.
func wrongValue(s *openapi3.Schema) any {
	switch t := s.Type; {
	case t == nil:
		return nil
	case t.Is("string"):
		return 12345.0
	case t.Is("integer") || t.Is("number"):
		return "not a number"
	case t.Is("boolean"):
		return "not a boolean"
	case t.Is("object"):
		return "not an object"
	case t.Is("array"):
		return "not an array"
	}
	return nil
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "a number"
}

// badParams are the texts tried as a wrong parameter value: they break a
// number, boolean, enum, format, pattern or length.
var badParams = []string{"x", "0", "-1", "1900-13-45", strings.Repeat("9", 40)}

// invalidParam makes a request with one wrong path or query parameter (a
// wrong Belgian identifier where the schema refuses none), or without a
// required query parameter; nil when none can be made.
func (b reqBuilder) invalidParam(path string, params []*openapi3.Parameter, vals map[*openapi3.Parameter]string) *Request {
	with := func(p *openapi3.Parameter, v string, why string) *Request {
		m := maps.Clone(vals)
		if v == "" {
			delete(m, p)
		} else {
			m[p] = v
		}
		return &Request{Path: render(path, m), Why: why}
	}
	for _, p := range params {
		if p.In != openapi3.ParameterInPath && p.In != openapi3.ParameterInQuery {
			continue
		}
		for _, c := range badParams {
			if mockfla.CheckRequestValue(b.doc, p.Schema, asParam(p.Schema, c)) != nil {
				return with(p, c, fmt.Sprintf("the %s parameter %s is %q, which its schema refuses", p.In, p.Name, c))
			}
		}
	}
	for _, p := range params {
		if kind := mockfla.IdentifierKind(p.Name, p.Schema); kind != "" && (p.In == openapi3.ParameterInPath || p.In == openapi3.ParameterInQuery) {
			bad := identifierBroken[kind]
			return with(p, bad, fmt.Sprintf("the %s parameter %s is %q, not a valid %s", p.In, p.Name, bad, kind))
		}
	}
	for _, p := range params {
		if p.In == openapi3.ParameterInQuery && p.Required {
			return with(p, "", fmt.Sprintf("the required query parameter %s is missing", p.Name))
		}
	}
	return nil
}
