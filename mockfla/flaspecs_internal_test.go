package mockfla

import (
	"os"
	"testing"
)

// flaConfig is a Config serving the FLA documents of profiles/fla, read from
// disk (an internal test cannot import the profile, which imports mockfla),
// without the profile's rules: the tests that use it exercise the generic
// engine on a realistic document.
func flaConfig(t testing.TB) Config {
	t.Helper()
	var specs []Spec
	for _, d := range []struct{ file, base string }{
		{"fla.yaml", "/REST/careerpro-fla/v1"},
		{"fla-training-provider.yaml", "/REST/careerpro-fla-training-provider/v1"},
	} {
		data, err := os.ReadFile("../profiles/fla/" + d.file)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, Spec{Name: d.file, Data: data, BasePath: d.base, Profile: ProfileNone})
	}
	return Config{Specs: specs}
}
