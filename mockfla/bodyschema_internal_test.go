package mockfla

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// kitchenSink is a document written for these tests: every keyword the
// compiled path knows, and some it leaves to kin-openapi, on request
// bodies.
const kitchenSink = `openapi: 3.0.3
info: {title: kitchen sink, version: "1"}
paths:
  /things:
    put:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses: {"204": {description: ok}}
  /loose:
    put:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: {type: integer, minimum: -3, exclusiveMaximum: true, maximum: 100}
              properties:
                note: {type: string, nullable: true, maxLength: 3}
                tree: {$ref: '#/components/schemas/Tree'}
      responses: {"204": {description: ok}}
  /xof:
    put:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                a: {allOf: [{type: string}, {minLength: 2}]}
                r: {type: string, readOnly: true}
      responses: {"204": {description: ok}}
components:
  schemas:
    Tree:
      type: object
      properties:
        label: {type: string, default: "leaf & <root>"}
        kids: {type: array, items: {$ref: '#/components/schemas/Tree'}, maxItems: 3}
    Thing:
      type: object
      additionalProperties: false
      required: [code, items]
      properties:
        code: {type: string, pattern: '^[A-Z]{2}\d{2}$'}
        uni: {type: string, pattern: '^\u00C9+$'}
        when: {type: string, format: date}
        at: {type: string, format: date-time}
        mail: {type: string, format: email}
        kind: {type: string, enum: [a, b, "é"], default: a}
        size: {type: number, default: 1.5, minimum: 0, exclusiveMinimum: true, maximum: 10}
        count: {type: integer, format: int32, default: 3}
        step: {type: number, multipleOf: 0.5}
        flag: {type: boolean, default: false}
        text: {type: string, minLength: 2, maxLength: 4}
        maybe: {type: integer, nullable: true}
        items:
          type: array
          minItems: 1
          maxItems: 4
          items:
            type: object
            required: [n]
            properties:
              n: {type: integer, minimum: 1}
              on: {type: boolean, default: true}
              tags: {type: array, items: {type: string, enum: [x, y]}}
`

// bodySchemas are the JSON request body schemas of the FLA documents, the
// test documents and kitchenSink, each with a body it accepts.
func bodySchemas(t testing.TB) []diffSchema {
	t.Helper()
	cfg := flaConfig(t)
	for _, f := range []string{"dossiers-swagger2.yaml", "legacy-swagger2.yaml"} {
		data, err := os.ReadFile("../testdata/specs/" + f)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Specs = append(cfg.Specs, Spec{Name: f, Data: data, BasePath: "/" + f, Profile: ProfileNone})
	}
	cfg.Specs = append(cfg.Specs, Spec{Name: "kitchen", Data: []byte(kitchenSink), BasePath: "/kitchen", Profile: ProfileNone})
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var out []diffSchema
	for _, m := range s.mounts {
		for _, path := range m.doc.Paths.InMatchingOrder() {
			for method, op := range m.doc.Paths.Value(path).Operations() {
				if op.RequestBody == nil || op.RequestBody.Value == nil {
					continue
				}
				ct := op.RequestBody.Value.Content.Get("application/json")
				if ct == nil || ct.Schema == nil || ct.Schema.Value == nil {
					continue
				}
				g := &synthesizer{now: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), request: true}
				sample, _ := json.Marshal(g.sample(ct.Schema))
				out = append(out, diffSchema{name: m.name + " " + method + " " + path, s: ct.Schema.Value, sample: sample})
			}
		}
	}
	slices.SortFunc(out, func(a, b diffSchema) int { return strings.Compare(a.name, b.name) })
	return out
}

type diffSchema struct {
	name   string
	s      *openapi3.Schema
	sample []byte
}

// compareWithKin checks the compiled path against kin-openapi's visitor
// on one body: the same verdict, and on acceptance the same value with
// the same defaults, encoded to the same bytes. compiled is false when
// the schema is left to kin-openapi.
func compareWithKin(t *testing.T, ds diffSchema, body []byte) (compiled, accepted bool) {
	t.Helper()
	kv, issue, _ := strictJSONSlow(body, "")
	if issue != nil {
		return false, false
	}
	cv, _, _ := strictJSONSlow(body, "")
	kinSet := false
	kerr := ds.s.VisitJSON(kv, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DefaultsSet(func() { kinSet = true }))
	cs := compileSchema(ds.s, map[*openapi3.Schema]*cschema{})
	if cs == nil {
		return false, kerr == nil
	}
	ok, defaults := cs.accepts(cv)
	if ok != (kerr == nil) {
		t.Fatalf("%s: body %s: compiled accepts=%v, kin-openapi: %v", ds.name, body, ok, kerr)
	}
	if !ok {
		return true, false
	}
	if defaults != kinSet {
		t.Fatalf("%s: body %s: compiled sets defaults=%v, kin-openapi %v", ds.name, body, defaults, kinSet)
	}
	if defaults {
		cs.applyDefaults(cv)
	}
	if !reflect.DeepEqual(kv, cv) {
		t.Fatalf("%s: body %s: after defaults\ncompiled %#v\nkin      %#v", ds.name, body, cv, kv)
	}
	want, err := json.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := marshalJSON(cv)
	if err != nil || string(got) != string(want) {
		t.Fatalf("%s: encoded\n%s (%v)\nwant %s", ds.name, got, err, want)
	}
	return true, true
}

// TestCompiledSchemaDifferential mutates a valid body of every schema many
// times and holds the compiled path to kin-openapi on each.
func TestCompiledSchemaDifferential(t *testing.T) {
	schemas := bodySchemas(t)
	rng := rand.New(rand.NewPCG(19, 2026))
	compiledN := 0
	for _, ds := range schemas {
		var v any
		if err := json.Unmarshal(ds.sample, &v); err != nil {
			t.Fatal(err)
		}
		compiled, accepted := compareWithKin(t, ds, ds.sample)
		if compiled {
			compiledN++
		}
		if compiled && !accepted {
			t.Errorf("%s: the synthesized body %s is refused", ds.name, ds.sample)
		}
		seen := map[bool]int{}
		for i := 0; i < 1500; i++ {
			body, err := json.Marshal(mutate(rng, v, 1+rng.IntN(2)))
			if err != nil {
				t.Fatal(err)
			}
			_, acc := compareWithKin(t, ds, body)
			seen[acc]++
		}
		t.Logf("%-70s compiled=%-5v mutated bodies accepted %d, refused %d", ds.name, compiled, seen[true], seen[false])
	}
	if compiledN < 3 {
		t.Fatalf("only %d schemas compile", compiledN)
	}
}

// FuzzCompiledSchema holds the compiled path to kin-openapi on bodies the
// fuzzer writes, for every schema of bodySchemas.
func FuzzCompiledSchema(f *testing.F) {
	schemas := bodySchemas(f)
	for _, ds := range schemas {
		f.Add(ds.sample)
	}
	f.Add([]byte(`{"code":"AB12","items":[{"n":1,"on":null}],"kind":null,"size":null}`))
	f.Add([]byte(`{"trainings":[{"name":"x","startDate":"2023-01-01","endDate":"2023-01-02","duration":{"value":1,"unit":"hours"},"status":"completed","trainingType":"formal","countsForFla":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ds := range schemas {
			compareWithKin(t, ds, body)
		}
	})
}

// mutate returns a copy of v with n random changes: a property removed,
// set to null or to a value of another type, an unknown property, an
// array emptied or grown, a string or number moved to an edge.
func mutate(rng *rand.Rand, v any, n int) any {
	c := copyJSON(v)
	for range n {
		c = mutateOne(rng, c, 0)
	}
	return c
}

var edgeValues = []any{
	nil, true, false, "", "a", "é", "😀😀", "<&>", "2023-02-30", "2023-01-01", "2023-12-31T10:00:00Z", "x@y.be", "AB12", "ab12", "ÉÉ", "\\u00C9",
	"hours", "days", "completed", "formal", "informal", "employer", "b", "a", strings.Repeat("z", 201),
	json.Number("0"), json.Number("-1"), json.Number("1"), json.Number("1.5"), json.Number("2.25"), json.Number("10"), json.Number("10.0"),
	json.Number("8784"), json.Number("8784.5"), json.Number("1e400"), json.Number("2147483648"), json.Number("-3"), json.Number("100"),
	json.Number("3.0"), json.Number("1E2"), []any{}, []any{json.Number("1")}, map[string]any{}, map[string]any{"n": json.Number("2")},
}

// edge is one of edgeValues, a copy of its own.
func edge(rng *rand.Rand) any {
	return copyJSON(edgeValues[rng.IntN(len(edgeValues))])
}

func copyJSON(v any) any {
	b, _ := json.Marshal(v)
	var c any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	d.Decode(&c)
	return c
}

// addedKeys are the properties a mutation adds: unknown ones and optional
// ones of the schemas.
var addedKeys = []string{"extra", "uni", "when", "at", "mail", "kind", "size", "count", "step", "flag", "text", "maybe", "on", "tags",
	"note", "label", "kids", "countsForFla", "reference", "certificate", "financing", "validUntil", "basis", "carriedOverDays"}

func mutateOne(rng *rand.Rand, v any, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		keys := sortedKeys(x)
		if len(keys) == 0 || rng.IntN(6) == 0 {
			x[addedKeys[rng.IntN(len(addedKeys))]] = edge(rng)
			return x
		}
		k := keys[rng.IntN(len(keys))]
		switch rng.IntN(5) {
		case 0:
			delete(x, k)
		case 1:
			x[k] = edge(rng)
		default:
			x[k] = mutateOne(rng, x[k], depth+1)
		}
		return x
	case []any:
		switch {
		case len(x) == 0 || rng.IntN(6) == 0:
			if len(x) > 0 && rng.IntN(2) == 0 {
				return x[:0]
			}
			return append(x, edge(rng))
		case rng.IntN(5) == 0:
			return append(x, copyJSON(x[0]))
		}
		i := rng.IntN(len(x))
		x[i] = mutateOne(rng, x[i], depth+1)
		return x
	}
	return edge(rng)
}

// TestCompiledConcurrent compiles and uses the schemas, the parameter
// checks and the encoder from many goroutines at once (run with -race).
func TestCompiledConcurrent(t *testing.T) {
	schemas := bodySchemas(t)
	s := paramServer(t)
	ops := paramOps(s)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ds := schemas[(g+i)%len(schemas)]
				v, ok := parseJSON(ds.sample)
				if !ok {
					t.Errorf("%s: sample not parsed", ds.name)
					return
				}
				if cs := s.bodySchemas.get(ds.s); cs != nil {
					if ok, d := cs.accepts(v); ok && d {
						cs.applyDefaults(v)
					}
				}
				if _, err := marshalJSON(v); err != nil {
					t.Error(err)
				}
				po := ops[(g+i)%len(ops)]
				s.params.get(po.route)
			}
		}()
	}
	wg.Wait()
}
