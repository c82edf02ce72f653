package main

import (
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/profiles"
)

// TestConfigDocs_EveryKey holds fileConfig's promise: docs/config.md's
// example file shows every key flamock reads (fileConfig's) and every key a
// profile owns (Profile.Config), and no key that none of them reads.
func TestConfigDocs_EveryKey(t *testing.T) {
	code := map[string]bool{}
	yamlKeys(reflect.TypeOf(fileConfig{}), "", code)
	for _, p := range profiles.All() {
		if p.Config != nil {
			yamlKeys(reflect.TypeOf(p.Config()), "", code)
		}
	}
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "## The configuration file")
	_, rest, ok := strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/config.md: no yaml example under \"## The configuration file\"")
	}
	// A key shown commented out ("# store: postgres://...", one that
	// excludes another) is shown too.
	block = commentedKey.ReplaceAllString(block, "$1$2")
	var example any
	if err := yaml.Unmarshal([]byte(block), &example); err != nil {
		t.Fatalf("docs/config.md's example: %v", err)
	}
	documented := map[string]bool{}
	exampleKeys(example, "", documented)
	for _, k := range slices.Sorted(maps.Keys(code)) {
		if !documented[k] {
			t.Errorf("key %s is read (fileConfig or a profile's keys) but docs/config.md's example does not show it", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		if !code[k] {
			t.Errorf("docs/config.md's example shows key %s, which nothing reads", k)
		}
	}
}

var commentedKey = regexp.MustCompile(`(?m)^(\s*)# (\w+:)`)

// yamlKeys adds the key paths of the yaml-tagged fields of t ("oauth.audience",
// "clients[].id"). A type that decodes itself, a map and a scalar are leaves.
func yamlKeys(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	unmarshaler := reflect.TypeFor[yaml.Unmarshaler]()
	if t.Kind() != reflect.Struct || t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := prefix + name
		out[key] = true
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			yamlKeys(ft.Elem(), key+"[].", out)
		} else {
			yamlKeys(ft, key+".", out)
		}
	}
}

// exampleKeys adds the key paths of a decoded YAML value; the keys of a
// map under a key whose value is a map of the user's own names
// (qualityScopes) are not keys.
func exampleKeys(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			key := prefix + k
			out[key] = true
			if key == "oauth.qualityScopes" {
				continue
			}
			exampleKeys(e, key+".", out)
		}
	case []any:
		for _, e := range x {
			exampleKeys(e, strings.TrimSuffix(prefix, ".")+"[].", out)
		}
	}
}
