package mockfla

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// maxLeafDepth bounds the breaking down of nested allOf/anyOf/oneOf.
const maxLeafDepth = 8

// leafErrors breaks down the error of an allOf, anyOf or oneOf keyword,
// for which kin-openapi reports one vague error ("doesn't match all
// schemas from allOf") with at most the first violation inside: it
// validates the value again against the keyword's subschemas, with opts,
// and returns their errors, at paths relative to the keyword's value, as
// Belgif's reference library reports one issue per failing leaf property.
//
//   - allOf: the errors of every part the value fails;
//   - anyOf, oneOf: the errors of the alternative the discriminator names,
//     else of the one that declares most of the value's members (the one
//     the client aimed at), else of the one with the fewest errors.
//
// It returns nil when the error is of another keyword, or when the
// keyword cannot be broken down: a oneOf that more than one alternative
// matches, or subschemas that all accept the value.
func leafErrors(se *openapi3.SchemaError, opts []openapi3.SchemaValidationOption) []error {
	s := se.Schema
	if s == nil {
		return nil
	}
	errsOf := func(sub *openapi3.SchemaRef) []error {
		if sub == nil || sub.Value == nil {
			return nil
		}
		return flattenErrors(sub.Value.VisitJSON(se.Value, opts...))
	}
	var alts openapi3.SchemaRefs
	switch se.SchemaField {
	case "allOf":
		var out []error
		for _, sub := range s.AllOf {
			out = append(out, errsOf(sub)...)
		}
		return out
	case "oneOf":
		alts = s.OneOf
	case "anyOf":
		alts = s.AnyOf
	default:
		return nil
	}
	if sub := discriminated(s, alts, se.Value); sub != nil {
		return errsOf(sub)
	}
	var best []error
	bestAim := -1
	for _, sub := range alts {
		e := errsOf(sub)
		if len(e) == 0 {
			return nil // an alternative matches: the error is not in a leaf
		}
		aim := aimedAt(sub, se.Value)
		if aim > bestAim || (aim == bestAim && len(e) < len(best)) {
			best, bestAim = e, aim
		}
	}
	return best
}

// aimedAt counts the members of value that alternative sub declares: the
// alternative the client evidently aimed at declares the most.
func aimedAt(sub *openapi3.SchemaRef, value any) int {
	obj, ok := value.(map[string]any)
	if !ok || sub == nil || sub.Value == nil {
		return 0
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(sub.Value, props, 0)
	n := 0
	for k := range obj {
		if props[k] != nil {
			n++
		}
	}
	return n
}

// discriminated returns the alternative a oneOf/anyOf's discriminator
// names for value, or nil.
func discriminated(s *openapi3.Schema, alts openapi3.SchemaRefs, value any) *openapi3.SchemaRef {
	d := s.Discriminator
	obj, ok := value.(map[string]any)
	if d == nil || !ok {
		return nil
	}
	name, ok := obj[d.PropertyName].(string)
	if !ok {
		return nil
	}
	ref := "#/components/schemas/" + name
	if m, ok := d.Mapping[name]; ok {
		ref = m.Ref
	}
	for _, alt := range alts {
		if alt != nil && alt.Ref == ref {
			return alt
		}
	}
	return nil
}

// flattenErrors lists the errors of a MultiError (nested ones included).
func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	me, ok := err.(openapi3.MultiError)
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range me {
		out = append(out, flattenErrors(e)...)
	}
	return out
}

// requestOptions are the options a call's values are validated with when a
// combinator is broken down: as a request, every error, JSON Schema
// 2020-12 for an OpenAPI 3.1 document.
func requestOptions(c *call) []openapi3.SchemaValidationOption {
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsRequest()}
	if c != nil && c.route != nil && c.route.Spec != nil && c.route.Spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return opts
}
