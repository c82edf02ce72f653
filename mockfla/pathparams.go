package mockfla

import (
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Compiled parameter checks: for an operation whose parameters are all
// path parameters in the simple style with a primitive schema that
// compileSchema knows, paramsPass decodes each value as kin-openapi's
// ValidateRequest does (a string as it is, an integer with ParseInt, int32
// or int64 by its format, a number with ParseFloat, a boolean with
// ParseBool) and checks it with the compiled schema. It only ever says
// "kin-openapi accepts these": on any doubt, ValidateRequest runs as
// before and words the issues (TestPathParamsDifferential).
type cparam struct {
	name     string
	required bool
	typ      string
	int32    bool
	schema   *cschema
}

// paramCache holds the compiled checks, by (validation copy of the)
// operation; a nil entry is an operation left to kin-openapi.
type paramCache struct{ m sync.Map }

func (pc *paramCache) get(route *routers.Route) []cparam {
	if v, ok := pc.m.Load(route.Operation); ok {
		return v.([]cparam)
	}
	ps, ok := compileParams(route)
	if !ok {
		ps = nil
	}
	pc.m.Store(route.Operation, ps)
	return ps
}

// compileParams compiles the parameters of route's operation, or reports
// false when kin-openapi must check them.
func compileParams(route *routers.Route) ([]cparam, bool) {
	op := route.Operation
	if route.Spec == nil || route.Spec.IsOpenAPI31OrLater() || op == nil {
		return nil, false
	}
	security := op.Security
	if security == nil {
		security = &route.Spec.Security
	}
	if len(*security) > 0 {
		return nil, false // ValidateRequest would call the AuthenticationFunc
	}
	var all []*openapi3.Parameter
	if route.PathItem != nil {
		for _, ref := range route.PathItem.Parameters {
			if ref == nil || ref.Value == nil {
				return nil, false
			}
			if op.Parameters.GetByInAndName(ref.Value.In, ref.Value.Name) == nil {
				all = append(all, ref.Value)
			}
		}
	}
	for _, ref := range op.Parameters {
		if ref == nil || ref.Value == nil {
			return nil, false
		}
		all = append(all, ref.Value)
	}
	out := make([]cparam, 0, len(all))
	for _, p := range all {
		if p.In != openapi3.ParameterInPath || p.Content != nil || p.Schema == nil || p.Schema.Value == nil ||
			(p.Style != "" && p.Style != openapi3.SerializationSimple) || p.AllowEmptyValue {
			return nil, false
		}
		sv := p.Schema.Value
		cs := compileSchema(sv, map[*openapi3.Schema]*cschema{})
		if cs == nil {
			return nil, false
		}
		switch cs.typ {
		case openapi3.TypeString, openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeBoolean:
		default:
			return nil, false
		}
		out = append(out, cparam{name: p.Name, required: p.Required, typ: cs.typ, int32: sv.Format == "int32", schema: cs})
	}
	return out, true
}

// paramsPass reports whether kin-openapi's ValidateRequest (parameters
// only, the options of paramOpts) would accept the call's parameters,
// when the operation's checks are compiled; false means "ask it".
func (s *Server) paramsPass(c *call, in *openapi3filter.RequestValidationInput) bool {
	opts := in.Options
	if !opts.ExcludeRequestBody || len(opts.SchemaValidationOptions) > 0 {
		return false
	}
	ps := s.params.get(c.route)
	if ps == nil {
		return false
	}
	for i := range ps {
		if !ps[i].accepts(c.params) {
			return false
		}
	}
	return true
}

func (p *cparam) accepts(params map[string]string) bool {
	raw, ok := params[p.name]
	if !ok || raw == "" {
		return !p.required // not found: kin-openapi checks only presence
	}
	switch p.typ {
	case openapi3.TypeString:
		return p.schema.acceptsStr(raw)
	case openapi3.TypeInteger:
		bits := 64
		if p.int32 {
			bits = 32
		}
		n, err := strconv.ParseInt(raw, 10, bits)
		return err == nil && p.schema.acceptsFloat(float64(n))
	case openapi3.TypeNumber:
		if strings.ContainsFunc(raw, func(r rune) bool { return !strings.ContainsRune("+-.0123456789eE", r) }) {
			return false
		}
		f, err := strconv.ParseFloat(raw, 64)
		return err == nil && p.schema.acceptsFloat(f)
	case openapi3.TypeBoolean:
		_, err := strconv.ParseBool(raw)
		return err == nil && p.schema.acceptsBool()
	}
	return false
}
