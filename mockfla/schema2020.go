package mockfla

import (
	"errors"
	"regexp"

	"github.com/getkin/kin-openapi/openapi3"
)

// OpenAPI 3.1 documents are validated by kin-openapi's JSON Schema 2020-12
// validator, whose errors read differently from those of its OpenAPI 3.0
// one: several violations can hide in one error's Origin, and a reason
// reads `error at "/reason": at '/reason': value must be one of ...`,
// `missing properties 'a', 'b'` or `additional properties 'x' not allowed`.
// normalize2020 rewrites them into the 3.0 form (one SchemaError per
// violation, `property "a" is missing`, `property "x" is unsupported`, the
// bare reason), so that one issue is reported per violation, named by its
// path, whatever the document's version. Errors of the 3.0 validator are
// returned as they are.
func normalize2020(err error) error {
	if err == nil {
		return nil
	}
	var out openapi3.MultiError
	changed := false
	var walk func(e error)
	walk = func(e error) {
		if me, ok := e.(openapi3.MultiError); ok {
			for _, x := range me {
				walk(x)
			}
			return
		}
		var se *openapi3.SchemaError
		if !errors.As(e, &se) || !reason2020.MatchString(se.Reason) {
			out = append(out, e)
			return
		}
		changed = true
		var inner openapi3.MultiError
		if se.Origin != nil && errors.As(se.Origin, &inner) && len(inner) > 0 {
			for _, x := range inner {
				walk(x)
			}
			return
		}
		out = append(out, rewrite2020(se)...)
	}
	walk(err)
	if !changed {
		return err
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

var (
	reason2020     = regexp.MustCompile(`^(error at "[^"]*": |at '[^']*': |jsonschema validation failed)`)
	prefix2020     = regexp.MustCompile(`^(error at "[^"]*": )?(at '[^']*': )?`)
	missing2020    = regexp.MustCompile(`^missing propert(?:y|ies) (.+)$`)
	additional2020 = regexp.MustCompile(`^additional propert(?:y|ies) (.+) not allowed$`)
	quoted2020     = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)
)

// rewrite2020 returns one SchemaError per violation of a leaf error of the
// 2020-12 validator, in the 3.0 validator's words (copies keep the path).
func rewrite2020(se *openapi3.SchemaError) []error {
	r := prefix2020.ReplaceAllString(se.Reason, "")
	var out []error
	each := func(m []string, format string) {
		for _, q := range quoted2020.FindAllStringSubmatch(m[1], -1) {
			c := *se
			c.Reason = `property "` + q[1] + `" ` + format
			c.Origin = nil
			out = append(out, &c)
		}
	}
	switch {
	case missing2020.MatchString(r):
		each(missing2020.FindStringSubmatch(r), "is missing")
	case additional2020.MatchString(r):
		each(additional2020.FindStringSubmatch(r), "is unsupported")
	}
	if len(out) > 0 {
		return out
	}
	c := *se
	c.Reason, c.Origin = r, nil
	return []error{&c}
}
