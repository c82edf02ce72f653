package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// fileConfig is the YAML of `flamock serve --config FILE`. Relative paths in
// it are relative to the file's folder. testdata/flamock.yaml is a complete
// example; the README documents every key.
type fileConfig struct {
	Addr    string `yaml:"addr"`    // default 127.0.0.1:8080
	TLS     bool   `yaml:"tls"`     // HTTPS with a generated CA
	State   string `yaml:"state"`   // durable store file; empty means in memory
	Journal string `yaml:"journal"` // JSON lines journal file
	Strict  bool   `yaml:"strict"`  // validate responses against the spec

	OAuth struct {
		TokenPath            string              `yaml:"tokenPath"`
		Audience             string              `yaml:"audience"`
		Algorithms           []string            `yaml:"algorithms"`
		MaxAssertionLifetime duration            `yaml:"maxAssertionLifetime"`
		ClockSkew            duration            `yaml:"clockSkew"`
		TokenLifetime        duration            `yaml:"tokenLifetime"`
		InvalidClientStatus  int                 `yaml:"invalidClientStatus"`
		QualityScopes        map[string][]string `yaml:"qualityScopes"`
	} `yaml:"oauth"`

	Clients []struct {
		ID               string   `yaml:"id"`
		Quality          string   `yaml:"quality"`
		EnterpriseNumber string   `yaml:"enterpriseNumber"`
		Certificates     []string `yaml:"certificates"` // any format certgen loads
		Password         string   `yaml:"password"`     // for .p12 certificates
		Scopes           []string `yaml:"scopes"`
		Disabled         bool     `yaml:"disabled"`
	} `yaml:"clients"`

	Mandates []struct {
		Provider string `yaml:"provider"`
		Employer string `yaml:"employer"`
		From     date   `yaml:"from"`
		Until    date   `yaml:"until"`
	} `yaml:"mandates"`

	Specs []struct {
		File     string `yaml:"file"`
		BasePath string `yaml:"basePath"`
		Profile  string `yaml:"profile"`
	} `yaml:"specs"`

	ServiceYears struct {
		First int `yaml:"first"`
		Last  int `yaml:"last"`
	} `yaml:"serviceYears"`

	dir string // folder of the file, for relative paths
}

// duration is a time.Duration written as "10m" or "600s" in YAML.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 600s or 10m", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

// date is a day (YYYY-MM-DD) or an RFC 3339 instant in YAML.
type date struct{ time.Time }

func (d *date) UnmarshalYAML(n *yaml.Node) error {
	t, err := parseDate(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	d.Time = t
	return nil
}

// maxConfigSize bounds the config file; a real one is a few kilobytes.
const maxConfigSize = 1 << 20

func loadConfig(name string) (*fileConfig, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes; a config file is at most %d", name, len(data), maxConfigSize)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg.dir = filepath.Dir(name)
	return cfg, nil
}

// parseConfig decodes YAML strictly: an unknown key is an error, so that a
// typo does not silently fall back to a default.
func parseConfig(data []byte) (*fileConfig, error) {
	var cfg fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file means all defaults
		return nil, fmt.Errorf("config: %w", err)
	}
	var errs []error
	for i, c := range cfg.Clients {
		if c.ID == "" {
			errs = append(errs, fmt.Errorf("config: clients[%d]: id is required", i))
		}
		if len(c.Certificates) == 0 {
			errs = append(errs, fmt.Errorf("config: clients[%d] (%s): at least one certificate is required", i, c.ID))
		}
	}
	for i, s := range cfg.Specs {
		if s.File == "" {
			errs = append(errs, fmt.Errorf("config: specs[%d]: file is required", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *fileConfig) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}
