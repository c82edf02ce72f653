package main

import (
	"os"
	"path/filepath"
	"strings"
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
		{"adr: x", "config: yaml: unmarshal errors:\n  line 1: field adr not found in type main.fileConfig"},
		{"oauth:\n  clockSkew: soon", `line 2: "soon" is not a duration like 600s or 10m`},
		{"mandates:\n  - from: tomorrow", `line 2: "tomorrow" is neither YYYY-MM-DD nor RFC 3339`},
		{"clients:\n  - quality: employer", "config: clients[0]: id is required\nconfig: clients[0] (): at least one certificate is required"},
		{"specs:\n  - basePath: /x", "config: specs[0]: file is required"},
		{"[1, 2", "config: yaml: line 1: did not find expected ',' or ']'"},
	} {
		_, err := parseConfig([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("parseConfig(%q) = %v; want it to contain %q", tc.yaml, err, tc.msg)
		}
	}
	if cfg, err := parseConfig(nil); err != nil || cfg.Addr != "" {
		t.Errorf("empty config: %v", err)
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
