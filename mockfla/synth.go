package mockfla

import (
	"encoding/json"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// synthesizer makes a JSON value that a schema accepts, as Prism's static
// mode does: the schema's own example, default, const or first enum value
// where it has one; else the required properties of an object, minItems
// elements of an array, a string of the format (date, date-time, uuid,
// email, uri...) or pattern, a number within minimum/maximum and
// multipleOf. Every candidate is checked with kin-openapi's validator; the
// first one the schema accepts wins.
type synthesizer struct {
	now     time.Time // dates and times
	request bool      // a request body (leave out readOnly) or a response (leave out writeOnly)
	oas31   bool      // validate with JSON Schema 2020-12 (OpenAPI 3.1)
}

// maxSynthDepth bounds recursion through nested and recursive schemas.
const maxSynthDepth = 12

// sample returns a value for the schema (nil schema: an empty object).
func (g *synthesizer) sample(ref *openapi3.SchemaRef) any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	return g.value(ref.Value, "", 0)
}

// valid reports whether s accepts v, as a response (or request) validator
// would see it after encoding and decoding.
func (g *synthesizer) valid(s *openapi3.Schema, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dv, _ := decodeJSON(b)
	return s.VisitJSON(dv, g.options()...)
}

func (g *synthesizer) options() []openapi3.SchemaValidationOption {
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	if g.request {
		opts = append(opts, openapi3.VisitAsRequest())
	} else {
		opts = append(opts, openapi3.VisitAsResponse())
	}
	if g.oas31 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return opts
}

func (g *synthesizer) value(s *openapi3.Schema, name string, depth int) any {
	var cands []any
	if s.Example != nil {
		cands = append(cands, s.Example)
	}
	cands = append(cands, s.Examples...)
	if s.Default != nil {
		cands = append(cands, s.Default)
	}
	if s.Const != nil {
		cands = append(cands, s.Const)
	}
	for _, e := range s.Enum {
		if e != nil {
			cands = append(cands, e)
			break
		}
	}
	for _, c := range cands {
		if g.valid(s, c) == nil {
			return deepCopy(c)
		}
	}
	v := g.build(s, name, depth)
	if len(cands) > 0 && g.valid(s, v) != nil {
		return deepCopy(cands[0])
	}
	return v
}

// build makes a value from the schema's structure.
func (g *synthesizer) build(s *openapi3.Schema, name string, depth int) any {
	if depth > maxSynthDepth {
		return nil
	}
	if len(s.AllOf) > 0 {
		return g.allOf(s, name, depth)
	}
	if alts := append(slices.Clone(s.OneOf), s.AnyOf...); len(alts) > 0 {
		var first any
		for i, alt := range alts {
			if alt == nil || alt.Value == nil {
				continue
			}
			v := g.value(alt.Value, name, depth+1)
			if own := g.own(s, name, depth); own != nil {
				v = mergeObjects(own, v)
			}
			if i == 0 {
				first = v
			}
			if g.valid(s, v) == nil {
				return v
			}
		}
		return first
	}
	return g.own(s, name, depth)
}

// own builds from the schema's own type keywords (not allOf/oneOf/anyOf);
// nil when it has none.
func (g *synthesizer) own(s *openapi3.Schema, name string, depth int) any {
	switch typeOf(s) {
	case "object":
		return g.object(s, depth)
	case "array":
		return g.array(s, name, depth)
	case "string":
		return g.str(s, name)
	case "integer":
		return g.number(s, true)
	case "number":
		return g.number(s, false)
	case "boolean":
		return true
	case "null":
		return nil
	}
	if len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) > 0 {
		return nil
	}
	return map[string]any{}
}

// typeOf is the type to build: the first non-null type, else what the
// keywords imply.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
		if s.Type.Is("null") {
			return "null"
		}
	}
	switch {
	case len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	case s.Pattern != "" || s.Format != "" || s.MinLength > 0 || s.MaxLength != nil:
		return "string"
	case s.Min != nil || s.Max != nil || s.MultipleOf != nil:
		return "number"
	}
	return ""
}

func (g *synthesizer) allOf(s *openapi3.Schema, name string, depth int) any {
	var out any
	if own := g.own(s, name, depth); own != nil {
		out = own
	}
	for _, sub := range s.AllOf {
		if sub == nil || sub.Value == nil {
			continue
		}
		out = mergeObjects(out, g.value(sub.Value, name, depth+1))
	}
	return out
}

// mergeObjects merges two objects (b wins); a non-object b replaces a.
func mergeObjects(a, b any) any {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		if b == nil {
			return a
		}
		return b
	}
	out := make(map[string]any, len(am)+len(bm))
	for k, v := range am {
		out[k] = v
	}
	for k, v := range bm {
		out[k] = mergeObjects(out[k], v)
	}
	return out
}

func (g *synthesizer) skip(p *openapi3.Schema) bool {
	return p != nil && ((g.request && p.ReadOnly) || (!g.request && p.WriteOnly))
}

func (g *synthesizer) object(s *openapi3.Schema, depth int) any {
	out := map[string]any{}
	add := func(k string) {
		if _, done := out[k]; done {
			return
		}
		var ps *openapi3.Schema
		if ref := s.Properties[k]; ref != nil {
			ps = ref.Value
		} else if ap := s.AdditionalProperties.Schema; ap != nil {
			ps = ap.Value
		}
		if g.skip(ps) {
			return
		}
		if ps == nil {
			out[k] = "string"
			return
		}
		out[k] = g.value(ps, k, depth+1)
	}
	req := slices.Clone(s.Required)
	slices.Sort(req)
	for _, k := range req {
		add(k)
	}
	if uint64(len(out)) < s.MinProps {
		for _, k := range sortedKeys(s.Properties) {
			if uint64(len(out)) >= s.MinProps {
				break
			}
			add(k)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (g *synthesizer) array(s *openapi3.Schema, name string, depth int) any {
	n := min(s.MinItems, 100)
	out := make([]any, 0, n)
	for i := range n {
		var v any = map[string]any{}
		if s.Items != nil && s.Items.Value != nil {
			v = g.value(s.Items.Value, name, depth+1)
		}
		if s.UniqueItems && i > 0 {
			v = vary(v, int(i))
		}
		out = append(out, v)
	}
	return out
}

// vary makes the i-th element of a uniqueItems array differ from the first.
func vary(v any, i int) any {
	switch x := v.(type) {
	case string:
		return x + strconv.Itoa(i)
	case float64:
		return x + float64(i)
	case bool:
		return i%2 == 0
	}
	return v
}

// stringHints are values tried first for a plain string property with
// this (lower-case) name: a valid Belgian identifier reads better.
var stringHints = map[string]string{
	"ssin": "85073003328", "inss": "85073003328", "niss": "85073003328",
	"enterprisenumber": "0403019261", "cbenumber": "0403019261", "kbonumber": "0403019261",
	"email": "user@example.com", "contactemail": "user@example.com",
}

func (g *synthesizer) str(s *openapi3.Schema, name string) any {
	var cands []string
	if h, ok := stringHints[strings.ToLower(name)]; ok {
		cands = append(cands, h)
	}
	if f := g.format(s.Format); f != "" {
		cands = append(cands, f)
	}
	if s.Pattern != "" {
		if p, ok := patternSample(s.Pattern); ok {
			cands = append(cands, p)
		}
	}
	cands = append(cands, "string")
	for _, c := range cands {
		c = fitLength(c, s)
		if g.valid(s, c) == nil {
			return c
		}
	}
	return fitLength(cands[0], s)
}

func fitLength(c string, s *openapi3.Schema) string {
	n := uint64(len([]rune(c)))
	if n < s.MinLength {
		c += strings.Repeat("x", int(min(s.MinLength-n, 10000)))
	}
	if s.MaxLength != nil && uint64(len([]rune(c))) > *s.MaxLength {
		c = string([]rune(c)[:*s.MaxLength])
	}
	return c
}

func (g *synthesizer) format(f string) string {
	now := g.now.UTC()
	switch f {
	case "date":
		return now.Format(time.DateOnly)
	case "date-time":
		return now.Truncate(time.Second).Format(time.RFC3339)
	case "time":
		return now.Format("15:04:05Z")
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "email", "idn-email":
		return "user@example.com"
	case "uri", "url", "iri":
		return "https://example.com/"
	case "uri-reference", "iri-reference", "uri-template":
		return "/example"
	case "hostname", "idn-hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	case "byte":
		return "c3RyaW5n"
	case "duration":
		return "P1D"
	case "binary", "password":
		return "string"
	}
	return ""
}

func (g *synthesizer) number(s *openapi3.Schema, integer bool) any {
	v := 0.0
	lo, hi := math.Inf(-1), math.Inf(1)
	loEx, hiEx := s.ExclusiveMin.IsTrue(), s.ExclusiveMax.IsTrue()
	if s.Min != nil {
		lo = *s.Min
	}
	if b := s.ExclusiveMin.Value; b != nil && *b >= lo {
		lo, loEx = *b, true
	}
	if s.Max != nil {
		hi = *s.Max
	}
	if b := s.ExclusiveMax.Value; b != nil && *b <= hi {
		hi, hiEx = *b, true
	}
	step := 1.0
	if m := s.MultipleOf; m != nil && *m > 0 {
		step = *m
	} else if !integer {
		step = 0.5
	}
	switch {
	case lo > 0 || (lo == 0 && loEx):
		v = lo
		if loEx {
			v += step
		}
	case hi < 0 || (hi == 0 && hiEx):
		v = hi
		if hiEx {
			v -= step
		}
	}
	if integer {
		if v >= 0 {
			v = math.Ceil(v)
		} else {
			v = math.Floor(v)
		}
	}
	if m := s.MultipleOf; m != nil && *m > 0 && !math.IsInf(v, 0) {
		if r := math.Ceil(v / *m) * *m; r <= hi {
			v = r
		}
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		v = 0
	}
	return v
}

// patternSample returns a short string that matches the regular
// expression, built from its syntax tree (first alternative, fewest
// repetitions, first character of each class); ok is false when the
// pattern is not one Go can parse or the sample does not match it.
func patternSample(pat string) (string, bool) {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !sampleRegexp(re.Simplify(), &b, 0) || b.Len() > 10000 {
		return "", false
	}
	rx, err := regexp.Compile(pat)
	if err != nil || !rx.MatchString(b.String()) {
		return "", false
	}
	return b.String(), true
}

func sampleRegexp(re *syntax.Regexp, b *strings.Builder, depth int) bool {
	if depth > 100 || b.Len() > 10000 {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		r, ok := classRune(re.Rune)
		if !ok {
			return false
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
	case syntax.OpCapture:
		return sampleRegexp(re.Sub[0], b, depth+1)
	case syntax.OpPlus:
		return sampleRegexp(re.Sub[0], b, depth+1)
	case syntax.OpRepeat:
		for range min(re.Min, 1000) {
			if !sampleRegexp(re.Sub[0], b, depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !sampleRegexp(sub, b, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return sampleRegexp(re.Sub[0], b, depth+1)
	default:
		return false
	}
	return true
}

// classRune picks a printable character of a class (pairs lo, hi),
// preferring a letter or a digit.
func classRune(ranges []rune) (rune, bool) {
	var first rune = -1
	for i := 0; i+1 < len(ranges); i += 2 {
		for _, want := range []rune{'a', 'A', '0'} {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want, true
			}
		}
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if first < 0 && unicode.IsPrint(r) && r != ' ' {
				first = r
			}
		}
	}
	return first, first >= 0
}
