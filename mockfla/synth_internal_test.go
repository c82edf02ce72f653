package mockfla

import (
	"context"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadSchemas loads components.schemas of a small OpenAPI document.
func loadSchemas(t testing.TB, version, schemas string) *openapi3.T {
	t.Helper()
	src := "openapi: " + version + "\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n" + schemas
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
	return doc
}

var synthNow = time.Date(2025, 6, 1, 12, 30, 45, 0, time.UTC)

func TestSynthesize(t *testing.T) {
	const schemas = `
    Plain: {type: object, required: [name, count, ok], properties: {name: {type: string}, count: {type: integer}, ok: {type: boolean}, optional: {type: string}}}
    Formats: {type: object, required: [d, dt, u, e, uri, ip], properties: {d: {type: string, format: date}, dt: {type: string, format: date-time}, u: {type: string, format: uuid}, e: {type: string, format: email}, uri: {type: string, format: uri}, ip: {type: string, format: ipv4}}}
    Enum: {type: string, enum: [open, closed]}
    Bounds: {type: object, required: [a, b, c, d, e], properties: {a: {type: integer, minimum: 5}, b: {type: integer, maximum: -3}, c: {type: number, minimum: 0, exclusiveMinimum: true}, d: {type: integer, minimum: 7, multipleOf: 5}, e: {type: integer, minimum: 1, maximum: 1}}}
    Pattern: {type: object, required: [id, code, alt], properties: {id: {type: string, pattern: '^D[0-9]{6}$'}, code: {type: string, pattern: '^[A-Z]{2}-\d{3}$'}, alt: {type: string, pattern: '^(foo|bar)+x?$'}}}
    Lengths: {type: object, required: [s, t], properties: {s: {type: string, minLength: 8}, t: {type: string, maxLength: 3}}}
    Items: {type: object, required: [list], properties: {list: {type: array, minItems: 2, uniqueItems: true, items: {type: string}}, empty: {type: array, items: {type: string}}}}
    Example: {type: object, required: [x], properties: {x: {type: string}}, example: {x: from-example}}
    BadExample: {type: object, required: [x], properties: {x: {type: integer}}, example: {x: not-a-number}}
    Default: {type: integer, default: 42}
    AllOf: {allOf: [{$ref: '#/components/schemas/Plain'}, {type: object, required: [extra], properties: {extra: {type: string, format: date}}}]}
    OneOf: {oneOf: [{type: object, required: [a], additionalProperties: false, properties: {a: {type: integer, minimum: 3}}}, {type: string}]}
    ReadWrite: {type: object, required: [id, secret], properties: {id: {type: string, readOnly: true}, secret: {type: string, writeOnly: true}}}
    Recursive: {type: object, required: [name, child], properties: {name: {type: string}, child: {$ref: '#/components/schemas/Recursive'}}}
    Ident: {type: object, required: [ssin, enterpriseNumber], properties: {ssin: {type: string, pattern: '^[0-9]{11}$'}, enterpriseNumber: {type: string}}}
    MinProps: {type: object, minProperties: 1, properties: {b: {type: string}, a: {type: integer}}}
`
	doc := loadSchemas(t, "3.0.3", schemas)
	cases := map[string]string{
		"Plain":      `{"count":0,"name":"string","ok":true}`,
		"Formats":    `{"d":"2025-06-01","dt":"2025-06-01T12:30:45Z","e":"user@example.com","ip":"192.0.2.1","u":"3fa85f64-5717-4562-b3fc-2c963f66afa6","uri":"https://example.com/"}`,
		"Enum":       `"open"`,
		"Bounds":     `{"a":5,"b":-3,"c":0.5,"d":10,"e":1}`,
		"Pattern":    `{"alt":"foo","code":"AA-000","id":"D000000"}`,
		"Lengths":    `{"s":"stringxx","t":"str"}`,
		"Items":      `{"list":["string","string1"]}`,
		"Example":    `{"x":"from-example"}`,
		"BadExample": `{"x":0}`,
		"Default":    `42`,
		"AllOf":      `{"count":0,"extra":"2025-06-01","name":"string","ok":true}`,
		"OneOf":      `{"a":3}`,
		"ReadWrite":  `{"id":"string"}`,
		"Ident":      `{"enterpriseNumber":"0403019261","ssin":"85073003328"}`,
		"MinProps":   `{"a":0}`,
	}
	g := &synthesizer{now: synthNow}
	for name, want := range cases {
		ref := doc.Components.Schemas[name]
		v := g.sample(ref)
		if got := encode(t, v); got != want {
			t.Errorf("%s: got %s; want %s", name, got, want)
		}
		if err := g.valid(ref.Value, v); err != nil {
			t.Errorf("%s: the sample %s is not valid: %v", name, encode(t, v), err)
		}
	}
	// In a request, readOnly properties are left out and writeOnly ones kept.
	req := &synthesizer{now: synthNow, request: true}
	if got := encode(t, req.sample(doc.Components.Schemas["ReadWrite"])); got != `{"secret":"string"}` {
		t.Errorf("request ReadWrite = %s", got)
	}
	// A recursive schema ends (its required child cannot be satisfied: the
	// sample is as deep as the bound allows and is not valid).
	if v := g.sample(doc.Components.Schemas["Recursive"]); v == nil {
		t.Error("recursive: nil")
	}
}

func TestSynthesize_OpenAPI31(t *testing.T) {
	doc := loadSchemas(t, "3.1.0", `
    Nullable: {type: [string, "null"], format: date}
    Const: {type: object, required: [kind, n], properties: {kind: {const: fixed}, n: {type: integer, exclusiveMinimum: 10}}}
    Examples: {type: string, examples: [first, second]}
`)
	g := &synthesizer{now: synthNow, oas31: true}
	for name, want := range map[string]string{
		"Nullable": `"2025-06-01"`,
		"Const":    `{"kind":"fixed","n":11}`,
		"Examples": `"first"`,
	} {
		ref := doc.Components.Schemas[name]
		v := g.sample(ref)
		if got := encode(t, v); got != want {
			t.Errorf("%s: got %s; want %s", name, got, want)
		}
		if err := g.valid(ref.Value, v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPatternSample(t *testing.T) {
	for pat, want := range map[string]string{
		`^D[0-9]{6}$`:                        "D000000",
		`^[a-z]+@[a-z]+\.be$`:                "a@a.be",
		`^(BE)?0[0-9]{9}$`:                   "0000000000",
		`^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$`: "00.00.00-000.00",
		`[[:upper:]]{3}`:                     "AAA",
	} {
		got, ok := patternSample(pat)
		if !ok || got != want {
			t.Errorf("patternSample(%q) = %q, %v; want %q", pat, got, ok, want)
		}
	}
	for _, pat := range []string{`(?<!x)a`, `(`, `\p{Greek}{2000}`} {
		if got, ok := patternSample(pat); ok && len(got) > 10000 {
			t.Errorf("patternSample(%q) = %d bytes", pat, len(got))
		}
	}
}
