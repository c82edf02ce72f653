package mockfla

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// compareSplice holds spliceDefaults to the path it replaces on one body,
// for one schema: when the compiled schema accepts the body and sets a
// default, the spliced bytes are json.Marshal of the body after
// kin-openapi's visitor set its defaults, and marshalJSON of the value
// after applyDefaults (today's path), byte for byte. It reports whether
// the body was spliced.
func compareSplice(t *testing.T, ds diffSchema, cs *cschema, body []byte) bool {
	t.Helper()
	v, ok := parseJSON(body)
	if !ok {
		return false
	}
	accepted, defaults := cs.accepts(v)
	if !accepted || !defaults {
		return false
	}
	cs.applyDefaults(v)
	old, err := marshalJSON(v)
	if err != nil {
		t.Fatalf("%s: %q: marshalJSON: %v", ds.name, body, err)
	}
	kv, issue, _ := strictJSONSlow(body, "")
	if issue != nil {
		t.Fatalf("%s: %q: parseJSON accepts, strictJSONSlow: %+v", ds.name, body, issue)
	}
	if err := ds.s.VisitJSON(kv, openapi3.VisitAsRequest(), openapi3.MultiErrors(), openapi3.DefaultsSet(func() {})); err != nil {
		t.Fatalf("%s: %q: compiled accepts, kin-openapi: %v", ds.name, body, err)
	}
	want, err := json.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cs.spliceDefaults(string(body))
	if !ok {
		t.Fatalf("%s: %q: spliceDefaults gave up", ds.name, body)
	}
	if string(got) != string(want) || string(old) != string(want) {
		t.Fatalf("%s: %q:\nspliced     %s\nmarshalJSON %s\njson.Marshal %s", ds.name, body, got, old, want)
	}
	if cap(got) > cap(old) {
		t.Fatalf("%s: spliced bytes have capacity %d, more than marshalJSON's %d", ds.name, cap(got), cap(old))
	}
	return true
}

// TestSpliceDefaultsDifferential writes mutated bodies of every schema in
// the forms a client may send (any key order, whitespace, escapes, HTML
// characters, null for a default) and holds the splice to json.Marshal
// and to the re-encoding it replaces.
func TestSpliceDefaultsDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1219))
	spliced := 0
	for _, ds := range bodySchemas(t) {
		cs := compileSchema(ds.s, map[*openapi3.Schema]*cschema{})
		if cs == nil || !cs.deep {
			continue
		}
		var seeds []any
		for _, b := range append([]string{string(ds.sample)}, spliceSeeds...) {
			var v any
			if err := json.Unmarshal([]byte(b), &v); err != nil {
				t.Fatal(err)
			}
			if ok, _ := cs.accepts(copyJSON(v)); ok {
				seeds = append(seeds, v)
			}
		}
		n := 0
		for i := range 1500 {
			v := seeds[i%len(seeds)]
			m := copyJSON(v)
			if i >= len(seeds) && rng.IntN(2) == 0 {
				m = mutate(rng, v, 1+rng.IntN(2))
			}
			if rng.IntN(3) == 0 {
				nullDefaults(rng, cs, m)
			}
			if compareSplice(t, ds, cs, writeLoose(rng, m)) {
				n++
			}
		}
		t.Logf("%-60s spliced %d of 1500", ds.name, n)
		spliced += n
	}
	if spliced < 1000 {
		t.Fatalf("only %d bodies spliced", spliced)
	}
}

// spliceSeeds are bodies of the schemas that have defaults (each schema
// takes those it accepts).
var spliceSeeds = []string{
	`{"trainings":[{"reference":"SAFETY-2023-01","name":"Safety at work","startDate":"2023-03-06","endDate":"2023-03-07","duration":{"value":2,"unit":"days"},"status":"completed","trainingType":"formal","countsForFla":true,"certificate":{"received":true,"validUntil":"2026-03-07"}},{"name":"Mentoring","startDate":"2023-09-11","endDate":"2023-09-11","duration":{"value":3.8,"unit":"hours"},"status":"completed","trainingType":"informal"}]}`,
	`{"trainings":[{"certificate":{"received":true,"validUntil":"2026-03-07"},"countsForFla":false,"duration":{"unit":"days","value":2},"endDate":"2023-03-07","financing":"sectoralFund","name":"Safety at work, basic course","reference":"SAFETY-2023-01","startDate":"2023-03-06","status":"completed","trainingType":"formal"},{"duration":{"unit":"hours","value":3.5},"endDate":"2023-09-11","name":"Mentoring on the new ERP","startDate":"2023-09-11","status":"completed","trainingType":"informal"}]}`,
	`{"code":"AB12","items":[{"n":1},{"n":2,"on":false,"tags":["x","y"]}],"text":"abc","when":"2024-02-29"}`,
	`{"note":"a<b","tree":{"label":"x","kids":[{"kids":[{}]},{"label":null}]},"zz":3,"a":-3}`,
}

// FuzzSpliceDefaults holds the splice to json.Marshal and marshalJSON on
// bodies the fuzzer writes, for every schema with a default.
func FuzzSpliceDefaults(f *testing.F) {
	var schemas []diffSchema
	var compiled []*cschema
	for _, ds := range bodySchemas(f) {
		if cs := compileSchema(ds.s, map[*openapi3.Schema]*cschema{}); cs != nil && cs.deep {
			schemas, compiled = append(schemas, ds), append(compiled, cs)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, b := range spliceSeeds {
		var v any
		json.Unmarshal([]byte(b), &v)
		f.Add([]byte(b))
		f.Add(writeLoose(rng, v))
	}
	f.Add([]byte(`{"trainings":[{"name":"x","startDate":"2023-01-01","endDate":"2023-01-02","duration":{"value":1,"unit":"hours"},"status":"completed","trainingType":"formal","countsForFla":null}]}`))
	f.Add([]byte(` { "items" : [ {"n":1,"on":null, "tags":["x"]} ] , "code":"AB12","kind":null,"size":null, "uni":"\u00c9" } `))
	f.Add([]byte(`{"tree":{"kids":[{"label":null},{"kids":[{}]}],"label":"<\/>"},"zz":1,"aa":-0.5e3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for i, ds := range schemas {
			compareSplice(t, ds, compiled[i], body)
		}
	})
}

// nullDefaults sets to null, at random, properties of m that have a
// default in cs (kin-openapi then writes the default).
func nullDefaults(rng *rand.Rand, cs *cschema, v any) {
	if cs == nil {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			nullDefaults(rng, cs.items, e)
		}
	case map[string]any:
		for k, e := range x {
			if p := cs.props[k]; p != nil {
				if p.dflt != nil && rng.IntN(2) == 0 {
					x[k] = nil
				} else {
					nullDefaults(rng, p.schema, e)
				}
			}
		}
		for _, d := range cs.dflts {
			if _, ok := x[d.name]; !ok && rng.IntN(3) == 0 {
				x[d.name] = nil
			}
		}
	}
}

// writeLoose writes v as JSON a client might: members in a random order,
// random whitespace, and strings with random escapes (\uXXXX, \/, and
// the short forms) and their non-ASCII and HTML characters as they are.
func writeLoose(rng *rand.Rand, v any) []byte {
	var b strings.Builder
	ws := func() {
		if rng.IntN(3) == 0 {
			b.WriteString([]string{" ", "\n  ", "\t", "\r\n"}[rng.IntN(4)])
		}
	}
	var w func(v any)
	w = func(v any) {
		ws()
		switch x := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			keys := sortedKeys(x)
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				ws()
				writeLooseString(rng, &b, k)
				ws()
				b.WriteByte(':')
				w(x[k])
			}
			ws()
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				w(e)
			}
			ws()
			b.WriteByte(']')
		case string:
			writeLooseString(rng, &b, x)
		default:
			enc, _ := json.Marshal(x)
			b.Write(enc)
		}
		ws()
	}
	w(v)
	return []byte(b.String())
}

func writeLooseString(rng *rand.Rand, b *strings.Builder, s string) {
	if rng.IntN(80) == 0 {
		s += []string{"<", "&", ">", "é", "\u2028", "/", "\n", "\"", "😀"}[rng.IntN(9)]
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || rng.IntN(8) == 0:
			if r > 0xFFFF {
				for _, u := range utf16Pair(r) {
					fmt.Fprintf(b, `\u%04x`, u)
				}
			} else if r == '/' && rng.IntN(2) == 0 {
				b.WriteString(`\/`)
			} else {
				fmt.Fprintf(b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func utf16Pair(r rune) [2]rune {
	r -= 0x10000
	return [2]rune{0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF}
}
