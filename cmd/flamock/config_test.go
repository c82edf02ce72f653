package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flamock/flamock/stack"
)

func TestLoadConfig_Example(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "..", "testdata", "flamock.yaml"), chooseProfile("", false))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clients) != 3 || cfg.Clients[2].Password != "changeit" || cfg.Clients[1].Quality != "provider" {
		t.Errorf("clients = %+v", cfg.Clients)
	}
	if time.Duration(cfg.OAuth.MaxAssertionLifetime) != 10*time.Minute || time.Duration(cfg.OAuth.TokenLifetime) != 600*time.Second {
		t.Errorf("oauth = %+v", cfg.OAuth)
	}
	// The FLA's own keys, decoded once by the config check, reach the profile.
	if got := mandators(t, cfg, "0314595348"); cfg.profile.Name != "fla" || strings.Join(got, ",") != "0403019261" {
		t.Errorf("profile %s acts for %v; want fla, 0403019261 mandated 0314595348", cfg.profile.Name, got)
	}
	if got := cfg.path("certs/employer.cer"); got != filepath.Join("..", "..", "testdata", "certs", "employer.cer") {
		t.Errorf("relative path resolved to %s", got)
	}
}

func TestParseConfig_Errors(t *testing.T) {
	for _, tc := range []struct{ yaml, msg string }{
		{"adr: x", "line 1: unknown key `adr` (did you mean `addr`?)"},
		{"clients:\n  - id: a\n    certificate: [x.cer]", "line 3: clients[0]: unknown key `certificate` (did you mean `certificates`?)"},
		{"oauth:\n  clockskew: 5s", "line 2: oauth: unknown key `clockskew` (did you mean `clockSkew`?)"},
		{"bogus: 1", "line 1: unknown key `bogus` (known keys: addr, tls, state, store, journal, strict, requireToken, profile, oauth, clients, specs, limits, adminAddr, adminToken, mandates, serviceYears)"},
		{"mandate: []", "line 1: unknown key `mandate` (did you mean `mandates`?)"},
		{"serviceYears:\n  frist: 2023", "line 2: serviceYears: unknown key `frist` (did you mean `first`?)"},
		{"oauth:\n  invalidClientStatus: four", "line 2: oauth.invalidClientStatus: `four` is not a whole number"},
		{"tls: maybe", "line 1: tls: `maybe` is not true or false"},
		{"serviceYears: 2023", "line 1: serviceYears: want keys and values (like `key: value`), found `2023`"},
		{"clients:\n  - id: a\n    certificates: a.cer", "line 3: clients[0].certificates: want a list (like `[a, b]` or `- a` lines), found `a.cer`"},
		{"addr: [a]", "line 1: addr: want a single value, found a list"},
		{"oauth:\n  clockSkew: soon", `line 2: oauth.clockSkew: want a duration such as "1.5s" or "250ms", not "soon"`},
		{"limits: {idleTimeout: [1]}", "line 1: limits.idleTimeout: want a single value, found a list"},
		{"mandates:\n  - from: tomorrow", `line 2: mandates[0].from: "tomorrow" is neither YYYY-MM-DD nor RFC 3339`},
		{"clients:\n  - quality: employer", "clients[0]: id is required\nclients[0] (): at least one certificate is required"},
		{"specs:\n  - basePath: /x", "specs[0]: file is required"},
		{"[1, 2", "line 1: did not find expected ',' or ']'"},
		{"&a [*a]", "line 1: want keys and values (like `key: value`), found a list"},
	} {
		_, err := parseConfig([]byte(tc.yaml), chooseProfile("", false))
		if err == nil || err.Error() != tc.msg {
			t.Errorf("parseConfig(%q) = %v; want %q", tc.yaml, err, tc.msg)
		}
	}
	if cfg, err := parseConfig(nil, chooseProfile("", false)); err != nil || cfg.Addr != "" {
		t.Errorf("empty config: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "flamock.yaml")
	os.WriteFile(bad, []byte("addr: x\nclients:\n  - id: a\n    certificate: [a.cer]\n    qualty: employer\n"), 0o644)
	want := bad + ": line 4: clients[0]: unknown key `certificate` (did you mean `certificates`?)\n" +
		bad + ": line 5: clients[0]: unknown key `qualty` (did you mean `quality`?)"
	if _, err := loadConfig(bad, chooseProfile("", false)); err == nil || err.Error() != want {
		t.Errorf("loadConfig = %v; want\n%s", err, want)
	}
	if _, err := loadConfig(filepath.Join(t.TempDir(), "none.yaml"), chooseProfile("", false)); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

// TestParseConfig_ProfileKeys: the chosen profile owns its keys. Under the
// generic profile (--spec), the FLA's mandates block is an error that names
// its line and the profile that owns it, never silently ignored; an
// unknown profile is a usage error.
func TestParseConfig_ProfileKeys(t *testing.T) {
	data := []byte("addr: 127.0.0.1:9000\nmandates:\n  - provider: \"0314595348\"\n    employer: \"0403019261\"\nserviceYears: {first: 2023, last: 2024}\n")
	for _, tc := range []struct {
		name string
		pick profilePick
		want string
	}{
		{"--spec: generic", chooseProfile("", true),
			"line 2: `mandates` is a key of profile fla, and this configuration runs profile generic: set `profile: fla` (or --profile fla), or remove the key\n" +
				"line 5: `serviceYears` is a key of profile fla, and this configuration runs profile generic: set `profile: fla` (or --profile fla), or remove the key"},
		{"--profile generic", chooseProfile("generic", false), "line 2: `mandates` is a key of profile fla"},
		{"--profile fla with --spec", chooseProfile("fla", true), ""},
		{"unknown profile", chooseProfile("dimona", false), `usage error: profiles: unknown profile "dimona"; want one of fla, generic (flamock profiles lists them)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(data, tc.pick)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tc.want == "":
				if got := mandators(t, cfg, "0314595348"); strings.Join(got, ",") != "0403019261" || cfg.Addr != "127.0.0.1:9000" {
					t.Errorf("addr %s, acts for %v; want 127.0.0.1:9000, 0403019261", cfg.Addr, got)
				}
			case err == nil || !strings.HasPrefix(err.Error(), tc.want):
				t.Errorf("got %v; want %s", err, tc.want)
			}
		})
	}
	// The profile key of the file chooses, unless a flag does.
	cfg, err := parseConfig([]byte("profile: generic\nmandates: []\n"), chooseProfile("", false))
	if err == nil || !strings.Contains(err.Error(), "line 2: `mandates` is a key of profile fla") {
		t.Errorf("profile: generic with mandates: got %v, %v; want the error", cfg, err)
	}
}

// mandators builds cfg's profile with its decoded keys and asks whom
// provider acts for.
func mandators(t *testing.T, cfg *fileConfig, provider string) []string {
	t.Helper()
	parts, err := cfg.profile.Build(stack.Settings{Config: cfg.keys})
	if err != nil || parts.ActsFor == nil {
		t.Fatalf("build %s: %v", cfg.profile.Name, err)
	}
	return parts.ActsFor(provider)
}

func FuzzParseConfig(f *testing.F) {
	example, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "flamock.yaml"))
	f.Add(string(example))
	f.Add("oauth: {clockSkew: 1s}\nmandates: [{from: 2024-01-01}]")
	f.Add("&a [*a]")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := parseConfig([]byte(s), chooseProfile("", false))
		if err == nil && cfg == nil {
			t.Fatal("nil config without an error")
		}
	})
}
