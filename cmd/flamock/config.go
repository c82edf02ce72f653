package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
	// RequireToken: a spec that declares an OAuth scheme but no security
	// requirement still requires a valid token on every operation.
	RequireToken bool   `yaml:"requireToken"`
	Profile      string `yaml:"profile"` // API profile (flamock profiles); default fla

	OAuth struct {
		TokenPath            string              `yaml:"tokenPath"`
		Audience             string              `yaml:"audience"`
		Algorithms           []string            `yaml:"algorithms"`
		MaxAssertionLifetime duration            `yaml:"maxAssertionLifetime"`
		ClockSkew            duration            `yaml:"clockSkew"`
		TokenLifetime        duration            `yaml:"tokenLifetime"`
		InvalidClientStatus  int                 `yaml:"invalidClientStatus"`
		QualityScopes        map[string][]string `yaml:"qualityScopes"`
		Environment          string              `yaml:"environment"`        // local (default), acc or prod
		AccessTokens         string              `yaml:"accessTokens"`       // jwt (default) or opaque
		SigningKey           string              `yaml:"signingKey"`         // RSA key of JWT access tokens (PEM or .p12); default generated
		SigningKeyPassword   string              `yaml:"signingKeyPassword"` // for a .p12 signing key
	} `yaml:"oauth"`

	Clients []struct {
		ID               string   `yaml:"id"`
		Quality          string   `yaml:"quality"`
		EnterpriseNumber string   `yaml:"enterpriseNumber"`
		Certificates     []string `yaml:"certificates"` // any format certgen loads
		Password         string   `yaml:"password"`     // for .p12 certificates and key
		Key              string   `yaml:"key"`          // optional private key (.p12 or PEM): POST /__admin/assertions signs with it
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

	// Limits bound every connection, on the token endpoint, the API and the
	// admin API alike (see connLimits for the defaults).
	Limits struct {
		ReadHeaderTimeout duration `yaml:"readHeaderTimeout"` // the request line and headers; default 10s
		BodyReadTimeout   duration `yaml:"bodyReadTimeout"`   // the request body; default 30s
		IdleTimeout       duration `yaml:"idleTimeout"`       // a keep-alive connection between requests; default 2m
		MaxHeaderBytes    int      `yaml:"maxHeaderBytes"`    // the request line and headers; default 65536
	} `yaml:"limits"`

	// AdminAddr is where the admin API listens on its own (--admin-addr);
	// AdminToken makes it require Authorization: Bearer <token> (--admin-token).
	AdminAddr  string `yaml:"adminAddr"`
	AdminToken string `yaml:"adminToken"`

	dir string // folder of the file, for relative paths
	raw []byte // the file, for the profile's own keys
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

// loadConfig reads and checks a config file. Each error is one line that
// starts with the file name and, where known, the line:
//
//	flamock.yaml: line 12: clients[0]: unknown key `certificate` (did you mean `certificates`?)
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
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = name + ": " + l
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	cfg.dir = filepath.Dir(name)
	cfg.raw = data
	return cfg, nil
}

// parseConfig decodes YAML strictly: an unknown key is an error, so that a
// typo does not silently fall back to a default. Errors speak of keys and
// lines of the file, never of Go types.
func parseConfig(data []byte) (*fileConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var cfg fileConfig
	if doc.Kind == 0 { // an empty file means all defaults
		return &cfg, nil
	}
	if errs := checkKeys(&doc, reflect.TypeOf(cfg), "", 0); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := doc.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, errors.New(strings.Join(te.Errors, "\n"))
		}
		return nil, err
	}
	var errs []error
	for i, c := range cfg.Clients {
		if c.ID == "" {
			errs = append(errs, fmt.Errorf("clients[%d]: id is required", i))
		}
		if len(c.Certificates) == 0 {
			errs = append(errs, fmt.Errorf("clients[%d] (%s): at least one certificate is required", i, c.ID))
		}
	}
	for i, s := range cfg.Specs {
		if s.File == "" {
			errs = append(errs, fmt.Errorf("specs[%d]: file is required", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// maxConfigDepth bounds the walk of checkKeys (aliases can nest without end).
const maxConfigDepth = 16

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkKeys walks the YAML tree beside the Go type it decodes into and
// reports, in the user's terms, keys that do not exist and values of the
// wrong shape or kind: "line 12: clients[0]: unknown key `certificate` (did
// you mean `certificates`?)".
func checkKeys(n *yaml.Node, t reflect.Type, path string, depth int) []error {
	if depth > maxConfigDepth {
		return []error{fmt.Errorf("line %d: %snested too deep", n.Line, where(path))}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return checkKeys(n.Content[0], t, path, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return checkKeys(n.Alias, t, path, depth+1)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty value leaves the default
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil // durations and dates say themselves what is wrong
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return []error{fmt.Errorf("line %d: %swant keys and values (like `key: value`), found %s", n.Line, where(path), describeNode(n))}
		}
		var known []string
		fields := map[string]reflect.StructField{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			known = append(known, name)
			fields[name] = f
		}
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("line %d: %sunknown key `%s`", k.Line, where(path), k.Value)
				if s := suggest(k.Value, known); s != "" {
					msg += fmt.Sprintf(" (did you mean `%s`?)", s)
				} else {
					msg += " (known keys: " + strings.Join(known, ", ") + ")"
				}
				errs = append(errs, errors.New(msg))
				continue
			}
			errs = append(errs, checkKeys(v, f.Type, join(path, k.Value), depth+1)...)
		}
		return errs
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return []error{fmt.Errorf("line %d: %swant a list (like `[a, b]` or `- a` lines), found %s", n.Line, where(path), describeNode(n))}
		}
		var errs []error
		for i, item := range n.Content {
			errs = append(errs, checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)...)
		}
		return errs
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return []error{fmt.Errorf("line %d: %swant keys and values (like `key: value`), found %s", n.Line, where(path), describeNode(n))}
		}
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), depth+1)...)
		}
		return errs
	default:
		if n.Kind != yaml.ScalarNode {
			return []error{fmt.Errorf("line %d: %swant a single value, found %s", n.Line, where(path), describeNode(n))}
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			want := map[reflect.Kind]string{reflect.Int: "a whole number", reflect.Bool: "true or false", reflect.String: "text"}[t.Kind()]
			return []error{fmt.Errorf("line %d: %s`%s` is not %s", n.Line, where(path), n.Value, want)}
		}
		return nil
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys and values"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("`%s`", n.Value)
	}
}

// suggest returns the known key closest to key: same letters in another
// case, or at most two edits away; "" when none is close.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, for short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (c *fileConfig) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}
