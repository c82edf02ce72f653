package main

import (
	"log/slog"
	"strings"
	"testing"
)

// TestServe_ProfileChoice: --profile, else the file's profile:, else
// generic with --spec, else fla; the profile's rules reach the documents
// that name them.
func TestServe_ProfileChoice(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	spec := "../../testdata/specs/contacts-openapi31.yaml"
	for _, tc := range []struct {
		name    string
		fc      fileConfig
		specs   []string
		profile string
		want    string // the profiles of the mounts, in order
	}{
		{"default", fileConfig{}, nil, "", "fla fla"},
		{"--spec selects generic", fileConfig{}, []string{spec}, "", "none"},
		{"--profile fla with --spec", fileConfig{}, []string{spec}, "fla", "none"},
		{"--profile generic needs a spec", fileConfig{}, nil, "generic", "error: stack: profile generic serves no document of its own: give one (--spec FILE[@BASEPATH])"},
		{"a document that names the FLA rules, under fla", fileConfig{}, []string{"../../profiles/fla/fla.yaml@/mine/v1"}, "fla", "fla"},
		{"a document that names the FLA rules, under generic", fileConfig{}, []string{"../../profiles/fla/fla.yaml@/mine/v1"}, "",
			`error: mockfla: ../../profiles/fla/fla.yaml: unknown rules profile "fla" (want one of "none")` +
				"\nserving under profile generic: a document that names another profile's rules is served with --profile NAME (flamock profiles)"},
		{"the file's profile", fileConfig{Profile: "generic"}, []string{spec}, "", "none"},
		{"the flag over the file", fileConfig{Profile: "generic"}, nil, "fla", "fla fla"},
		{"an unknown profile", fileConfig{Profile: "dimona"}, nil, "", `error: usage error: profiles: unknown profile "dimona"; want one of fla, generic (flamock profiles lists them)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := tc.fc
			s, err := newServeSetup(&fc, tc.specs, tc.profile, false, "", logger)
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				defer s.Close()
				var ps []string
				for _, m := range s.API.Mounts() {
					ps = append(ps, m.Profile)
				}
				got = strings.Join(ps, " ")
			}
			if got != tc.want {
				t.Fatalf("got %q; want %q", got, tc.want)
			}
		})
	}
}
