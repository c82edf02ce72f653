package mockfla

import (
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// A compiled body schema answers, without kin-openapi's visitor, the one
// question the hot path asks: does kin-openapi accept this decoded body
// (OpenAPI 3.0 rules, as a request, every error collected, defaults
// filled in)? When it does, the defaults kin-openapi would write are
// written the same way. When it does not, or when a schema uses anything
// compileSchema does not know, the body goes to kin-openapi, which
// decides and words the issues: the compiled path never answers a 400.
// TestCompiledSchemaDifferential and FuzzCompiledSchema hold it to
// kin-openapi on mutated bodies.
//
// Compiled: type (one), nullable, enum of strings, properties, required,
// additionalProperties, default (a scalar), items, minItems, maxItems,
// minLength, maxLength, format (a string format through kin-openapi's own
// validator), minimum, maximum, exclusiveMinimum, exclusiveMaximum.
// A pattern is compiled as kin-openapi compiles it. A number format or
// multipleOf is checked by kin-openapi's visitor for that one value. Anything else (allOf, oneOf, anyOf, not,
// readOnly, writeOnly, uniqueItems, min/maxProperties, discriminator, any
// OpenAPI 3.1 keyword) leaves the whole schema to kin-openapi.
type cschema struct {
	kin      *openapi3.Schema
	typ      string
	nullable bool
	enum     map[string]bool // nil: no enum
	leafKin  bool            // pattern, number format, multipleOf: kin-openapi checks the value

	// string
	pattern  *regexp.Regexp
	anchored *anchored // pattern without regexp's machine, when it can
	minLen   uint64
	maxLen   *uint64
	format   openapi3.StringFormatValidator
	date     bool // format is kin-openapi's own "date": isDate checks it

	// number, integer
	integer      bool
	min, max     *float64
	exMin, exMax *float64 // the bound itself

	// array
	minItems uint64
	maxItems *uint64
	items    *cschema // nil: any item

	// object
	props     map[string]*cprop
	required  []string
	addAllow  bool       // additionalProperties other than false
	addSchema *cschema   // nil: any value
	defaults  bool       // some property has a default
	dflts     []dfltProp // the properties with a default, by name
	// deep: a default may be written at or below this schema (the
	// defaults walks skip what it is not); deepProps are the properties
	// whose schema is deep.
	deep      bool
	deepProps []string

	// identFree (set on a body schema's root): no value it accepts holds
	// a property named as an identifier (identifierNames) at any depth,
	// so the identifiers layer has nothing to look for in the body.
	identFree bool
}

type cprop struct {
	schema *cschema
	dflt   any // nil: none
	rank   int // the name's place among the object's property names, sorted
}

// dfltProp is a property with a default, and the default as json.Marshal
// writes it (enc; nil when it cannot, then the splice leaves the body to
// marshalJSON).
type dfltProp struct {
	name  string
	value any
	enc   []byte
}

// kinPatternRewrite is kin-openapi's rewrite of a pattern's \uXXXX
// escapes for Go's regexp (openapi3.intoGoRegexp).
var kinPatternRewrite = regexp.MustCompile(`(?P<replaced_with_slash_x>\\u)(?P<code>[0-9A-F]{4})`)

// schemaCache holds the compiled body schemas, by kin-openapi schema; a
// nil entry is a schema left to kin-openapi.
type schemaCache struct{ m sync.Map }

func (sc *schemaCache) get(s *openapi3.Schema) *cschema {
	if v, ok := sc.m.Load(s); ok {
		return v.(*cschema)
	}
	c := compileSchema(s, map[*openapi3.Schema]*cschema{})
	if c != nil {
		c.identFree = c.noIdentifiers(map[*cschema]bool{})
	}
	sc.m.Store(s, c)
	return c
}

// noIdentifiers reports whether no value c accepts can hold a property
// named as an identifier: every object closed (additionalProperties
// false) with no such property, every array's items the same. A schema
// met again on the way (recursion) adds nothing new.
func (c *cschema) noIdentifiers(seen map[*cschema]bool) bool {
	if seen[c] {
		return true
	}
	seen[c] = true
	switch c.typ {
	case openapi3.TypeArray:
		return c.items != nil && c.items.noIdentifiers(seen)
	case openapi3.TypeObject:
		if c.addAllow {
			return false
		}
		for name, p := range c.props {
			if identifierNames[name] != "" || !p.schema.noIdentifiers(seen) {
				return false
			}
		}
	}
	return true
}

// compileSchema compiles s, or returns nil when it cannot. seen breaks
// recursive schemas (their compiled node is shared).
func compileSchema(s *openapi3.Schema, seen map[*openapi3.Schema]*cschema) *cschema {
	c := compileNode(s, seen)
	if c != nil {
		markDeep(seen)
	}
	return c
}

// markDeep sets deep on every node of seen from which a default can be
// reached (a fixed point: schemas may be recursive).
func markDeep(seen map[*openapi3.Schema]*cschema) {
	for changed := true; changed; {
		changed = false
		for _, c := range seen {
			if c == nil || c.deep {
				continue
			}
			d := c.defaults || c.items != nil && c.items.deep || c.addSchema != nil && c.addSchema.deep
			for _, p := range c.props {
				d = d || p.schema.deep
			}
			if d {
				c.deep, changed = true, true
			}
		}
	}
	for _, c := range seen {
		if c == nil {
			continue
		}
		c.deepProps = c.deepProps[:0]
		for name, p := range c.props {
			if p.schema.deep {
				c.deepProps = append(c.deepProps, name)
			}
		}
		slices.Sort(c.deepProps)
	}
}

func compileNode(s *openapi3.Schema, seen map[*openapi3.Schema]*cschema) *cschema {
	if s == nil {
		return nil
	}
	if c, ok := seen[s]; ok {
		return c
	}
	if !plainSchema(s) || s.Type == nil || len(*s.Type) != 1 || s.ReadOnly || s.WriteOnly {
		return nil
	}
	c := &cschema{kin: s, typ: (*s.Type)[0], nullable: s.Nullable}
	seen[s] = c
	if s.Enum != nil {
		c.enum = map[string]bool{}
		for _, e := range s.Enum {
			str, ok := e.(string)
			if !ok {
				return nil
			}
			c.enum[str] = true
		}
	}
	ok := false
	switch c.typ {
	case openapi3.TypeString:
		ok = c.compileString(s)
	case openapi3.TypeNumber, openapi3.TypeInteger:
		ok = c.compileNumber(s)
	case openapi3.TypeBoolean:
		ok = true
	case openapi3.TypeArray:
		ok = c.compileArray(s, seen)
	case openapi3.TypeObject:
		ok = c.compileObject(s, seen)
	}
	if !ok {
		return nil
	}
	return c
}

func (c *cschema) compileString(s *openapi3.Schema) bool {
	c.minLen, c.maxLen = s.MinLength, s.MaxLength
	if s.Pattern != "" {
		// kin-openapi's compilation (no RegexCompiler is ever set); one it
		// cannot compile is its to report.
		expr := kinPatternRewrite.ReplaceAllString(s.Pattern, `\x{${code}}`)
		re, err := regexp.Compile(expr)
		c.pattern, c.leafKin = re, err != nil
		if err == nil {
			c.anchored = compileAnchored(expr) // nil: regexp matches
		}
	}
	if s.Format != "" {
		c.format = openapi3.SchemaStringFormats[s.Format] // nil: kin-openapi ignores the format too
		c.date = s.Format == "date" && kinDate(c.format)
	}
	return true
}

func (c *cschema) compileNumber(s *openapi3.Schema) bool {
	c.integer = c.typ == openapi3.TypeInteger
	c.min, c.max = s.Min, s.Max
	c.leafKin = s.Format != "" || s.MultipleOf != nil
	if eb := s.ExclusiveMin; eb.Value != nil {
		c.exMin = eb.Value
	} else if eb.Bool != nil && *eb.Bool && s.Min != nil {
		c.exMin = s.Min
	}
	if eb := s.ExclusiveMax; eb.Value != nil {
		c.exMax = eb.Value
	} else if eb.Bool != nil && *eb.Bool && s.Max != nil {
		c.exMax = s.Max
	}
	return true
}

func (c *cschema) compileArray(s *openapi3.Schema, seen map[*openapi3.Schema]*cschema) bool {
	c.minItems, c.maxItems = s.MinItems, s.MaxItems
	if s.Items != nil {
		if c.items = compileNode(s.Items.Value, seen); c.items == nil {
			return false
		}
	}
	return true
}

func (c *cschema) compileObject(s *openapi3.Schema, seen map[*openapi3.Schema]*cschema) bool {
	c.props = make(map[string]*cprop, len(s.Properties))
	for name, ref := range s.Properties {
		if ref == nil || ref.Value == nil {
			return false
		}
		p := &cprop{schema: compileNode(ref.Value, seen)}
		if p.schema == nil {
			return false
		}
		if d := ref.Value.Default; d != nil {
			switch d.(type) {
			case bool, string, float64, json.Number:
			default:
				return false
			}
			p.dflt = d
			c.defaults = true
			enc, err := marshalJSON(d)
			if err != nil {
				enc = nil
			}
			c.dflts = append(c.dflts, dfltProp{name: name, value: d, enc: enc})
		}
		c.props[name] = p
	}
	slices.SortFunc(c.dflts, func(a, b dfltProp) int { return strings.Compare(a.name, b.name) })
	names := make([]string, 0, len(c.props))
	for name := range c.props {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		c.props[name].rank = i
	}
	c.required = s.Required
	ap := s.AdditionalProperties
	c.addAllow = ap.Has == nil || *ap.Has
	if ap.Schema != nil {
		if c.addSchema = compileNode(ap.Schema.Value, seen); c.addSchema == nil {
			return false
		}
	}
	return true
}

// plainSchema reports whether s sets nothing beyond what compileSchema
// knows and what does not take part in validation.
func plainSchema(s *openapi3.Schema) bool {
	x := *s
	x.Extensions, x.Origin = nil, nil
	x.Type, x.Title, x.Format, x.Description, x.Enum, x.Default, x.Example, x.ExternalDocs = nil, "", "", "", nil, nil, nil, nil
	x.ExclusiveMin, x.ExclusiveMax = openapi3.ExclusiveBound{}, openapi3.ExclusiveBound{}
	x.Nullable, x.Deprecated, x.XML, x.AllowEmptyValue = false, false, nil, false
	x.Min, x.Max, x.MultipleOf = nil, nil, nil
	x.MinLength, x.MaxLength, x.Pattern = 0, nil, ""
	x.MinItems, x.MaxItems, x.Items = 0, nil, nil
	x.Required, x.Properties, x.AdditionalProperties = nil, nil, openapi3.AdditionalProperties{}
	return reflect.ValueOf(x).IsZero()
}

// accepts reports whether kin-openapi accepts v, and whether it would set
// a default somewhere in it (applyDefaults then does).
func (c *cschema) accepts(v any) (ok, defaults bool) {
	if v == nil {
		return c.nullable, false
	}
	if c.enum != nil {
		if _, isStr := v.(string); !isStr {
			return false, false
		}
	}
	switch x := v.(type) {
	case bool:
		return c.acceptsBool(), false
	case string:
		return c.acceptsStr(x), false
	case json.Number:
		f, err := x.Float64()
		return err == nil && c.acceptsNumber(f), false
	case float64:
		return c.acceptsFloat(x), false
	case []any:
		return c.acceptsArray(x)
	case map[string]any:
		return c.acceptsObject(x)
	}
	return false, false
}

// acceptsStr, acceptsFloat and acceptsBool are accepts of a string, a
// float64 and a boolean, without boxing the value.
func (c *cschema) acceptsStr(s string) bool {
	if c.enum != nil && !c.enum[s] {
		return false
	}
	return c.typ == openapi3.TypeString && c.acceptsString(s)
}

func (c *cschema) acceptsFloat(f float64) bool {
	return c.enum == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && c.acceptsNumber(f)
}

func (c *cschema) acceptsBool() bool {
	return c.enum == nil && c.typ == openapi3.TypeBoolean
}

func (c *cschema) acceptsString(s string) bool {
	if c.minLen != 0 || c.maxLen != nil {
		n := uint64(0)
		for _, r := range s {
			if utf16.IsSurrogate(r) {
				n += 2
			} else {
				n++
			}
		}
		if n < c.minLen || c.maxLen != nil && n > *c.maxLen {
			return false
		}
	}
	if c.anchored != nil {
		if !c.anchored.MatchString(s) {
			return false
		}
	} else if c.pattern != nil && !c.pattern.MatchString(s) {
		return false
	}
	if c.date {
		if !isDate(s) {
			return false
		}
	} else if c.format != nil && c.format.Validate(s) != nil {
		return false
	}
	return !c.leafKin || c.kin.VisitJSONString(s) == nil
}

func (c *cschema) acceptsNumber(f float64) bool {
	if c.typ != openapi3.TypeNumber && c.typ != openapi3.TypeInteger {
		return false
	}
	if c.integer && f != math.Trunc(f) {
		return false
	}
	if c.exMin != nil && !(f > *c.exMin) || c.exMax != nil && !(f < *c.exMax) ||
		c.min != nil && !(*c.min <= f) || c.max != nil && !(*c.max >= f) {
		return false
	}
	return !c.leafKin || c.kin.VisitJSONNumber(f) == nil
}

func (c *cschema) acceptsArray(a []any) (ok, defaults bool) {
	n := uint64(len(a))
	if c.typ != openapi3.TypeArray || n < c.minItems || c.maxItems != nil && n > *c.maxItems {
		return false, false
	}
	if c.items == nil {
		return true, false
	}
	for _, e := range a {
		ok, d := c.items.accepts(e)
		if !ok {
			return false, false
		}
		defaults = defaults || d
	}
	return true, defaults
}

func (c *cschema) acceptsObject(m map[string]any) (ok, defaults bool) {
	if c.typ != openapi3.TypeObject {
		return false, false
	}
	for k, v := range m {
		if p := c.props[k]; p != nil {
			if v == nil && p.dflt != nil {
				continue // replaced by the default, checked below
			}
			ok, d := p.schema.accepts(v)
			if !ok {
				return false, false
			}
			defaults = defaults || d
			continue
		}
		if !c.addAllow {
			return false, false
		}
		if c.addSchema != nil {
			ok, d := c.addSchema.accepts(v)
			if !ok {
				return false, false
			}
			defaults = defaults || d
		}
	}
	if c.defaults {
		for name, p := range c.props {
			if p.dflt != nil && m[name] == nil {
				if ok, _ := p.schema.accepts(p.dflt); !ok {
					return false, false
				}
				defaults = true
			}
		}
	}
	for _, k := range c.required {
		if _, ok := m[k]; !ok && (c.props[k] == nil || c.props[k].dflt == nil) {
			return false, false
		}
	}
	return true, defaults
}

// applyDefaults writes into v, which c accepts, the defaults kin-openapi
// would write: a property with a default that is missing or null gets it.
// It goes only where a default can be (deep).
func (c *cschema) applyDefaults(v any) {
	if !c.deep {
		return
	}
	switch x := v.(type) {
	case []any:
		if c.items != nil && c.items.deep {
			for _, e := range x {
				c.items.applyDefaults(e)
			}
		}
	case map[string]any:
		if c.addSchema != nil && c.addSchema.deep {
			for k, e := range x {
				if c.props[k] == nil {
					c.addSchema.applyDefaults(e)
				}
			}
		}
		for _, name := range c.deepProps {
			if e := x[name]; e != nil {
				c.props[name].schema.applyDefaults(e)
			}
		}
		for _, d := range c.dflts {
			if x[d.name] == nil {
				x[d.name] = d.value
			}
		}
	}
}

// compiledBody is validateBody's fast path: when the body schema compiles
// and accepts value (parsed: value is c.body decoded, not a re-decoding),
// it sets what validateBody sets after kin-openapi's visitor accepted the
// body, and reports true. Otherwise kin-openapi decides.
func (s *Server) compiledBody(c *call, in *openapi3filter.RequestValidationInput, sv *openapi3.Schema, value any, parsed bool) bool {
	opts := in.Options
	if opts.SkipSettingDefaults || opts.ExcludeReadOnlyValidations || opts.RegexCompiler != nil ||
		len(opts.SchemaValidationOptions) > 0 || in.Route == nil || in.Route.Spec.IsOpenAPI31OrLater() {
		return false
	}
	cs := s.bodySchemas.get(sv)
	if cs == nil {
		return false
	}
	ok, defaults := cs.accepts(value)
	if !ok {
		return false
	}
	data := c.body
	switch {
	case defaults:
		cs.applyDefaults(value)
		text := c.text
		if !parsed || len(text) != len(data) {
			text = string(data)
		}
		b, ok := cs.spliceDefaults(text)
		if !ok {
			var err error
			if b, err = marshalJSON(value); err != nil {
				return false // cannot happen for a decoded body; kin-openapi's path reports it
			}
		}
		data, c.form = b, bodyCompact
	case parsed:
		c.form = bodyValid
	}
	c.body, c.value, c.bodySchema = data, value, cs
	return true
}
