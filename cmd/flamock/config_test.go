package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadConfig_Example(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "..", "testdata", "flamock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clients) != 3 || cfg.Clients[2].Password != "changeit" || cfg.Clients[1].Quality != "provider" {
		t.Errorf("clients = %+v", cfg.Clients)
	}
	if time.Duration(cfg.OAuth.MaxAssertionLifetime) != 10*time.Minute || time.Duration(cfg.OAuth.TokenLifetime) != 600*time.Second {
		t.Errorf("oauth = %+v", cfg.OAuth)
	}
	if len(cfg.Mandates) != 1 || !cfg.Mandates[0].From.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("mandates = %+v", cfg.Mandates)
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
		{"bogus: 1", "line 1: unknown key `bogus` (known keys: addr, tls, state, journal, strict, requireToken, profile, oauth, clients, mandates, specs, serviceYears, limits, adminAddr, adminToken)"},
		{"oauth:\n  invalidClientStatus: four", "line 2: oauth.invalidClientStatus: `four` is not a whole number"},
		{"tls: maybe", "line 1: tls: `maybe` is not true or false"},
		{"serviceYears: 2023", "line 1: serviceYears: want keys and values (like `key: value`), found `2023`"},
		{"clients:\n  - id: a\n    certificates: a.cer", "line 3: clients[0].certificates: want a list (like `[a, b]` or `- a` lines), found `a.cer`"},
		{"addr: [a]", "line 1: addr: want a single value, found a list"},
		{"oauth:\n  clockSkew: soon", `line 2: "soon" is not a duration like 600s or 10m`},
		{"mandates:\n  - from: tomorrow", `line 2: "tomorrow" is neither YYYY-MM-DD nor RFC 3339`},
		{"clients:\n  - quality: employer", "clients[0]: id is required\nclients[0] (): at least one certificate is required"},
		{"specs:\n  - basePath: /x", "specs[0]: file is required"},
		{"[1, 2", "line 1: did not find expected ',' or ']'"},
		{"&a [*a]", "line 1: want keys and values (like `key: value`), found a list"},
	} {
		_, err := parseConfig([]byte(tc.yaml))
		if err == nil || err.Error() != tc.msg {
			t.Errorf("parseConfig(%q) = %v; want %q", tc.yaml, err, tc.msg)
		}
	}
	if cfg, err := parseConfig(nil); err != nil || cfg.Addr != "" {
		t.Errorf("empty config: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "flamock.yaml")
	os.WriteFile(bad, []byte("addr: x\nclients:\n  - id: a\n    certificate: [a.cer]\n    qualty: employer\n"), 0o644)
	want := bad + ": line 4: clients[0]: unknown key `certificate` (did you mean `certificates`?)\n" +
		bad + ": line 5: clients[0]: unknown key `qualty` (did you mean `quality`?)"
	if _, err := loadConfig(bad); err == nil || err.Error() != want {
		t.Errorf("loadConfig = %v; want\n%s", err, want)
	}
	if _, err := loadConfig(filepath.Join(t.TempDir(), "none.yaml")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	example, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "flamock.yaml"))
	f.Add(string(example))
	f.Add("oauth: {clockSkew: 1s}\nmandates: [{from: 2024-01-01}]")
	f.Add("&a [*a]")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := parseConfig([]byte(s))
		if err == nil && cfg == nil {
			t.Fatal("nil config without an error")
		}
	})
}
