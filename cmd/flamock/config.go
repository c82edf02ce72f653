package main

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/internal/timetext"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/stack"
)

// fileConfig is the YAML of `flamock serve --config FILE`. Relative paths in
// it are relative to the file's folder. testdata/flamock.yaml is a
// commented example; docs/config.md's example shows every key, this
// struct's and the profiles' own (TestConfigDocs_EveryKey holds it).
type fileConfig struct {
	Addr    string `yaml:"addr"`    // default 127.0.0.1:8080
	TLS     bool   `yaml:"tls"`     // HTTPS with a generated CA
	State   string `yaml:"state"`   // durable store file; empty means in memory
	Store   string `yaml:"store"`   // postgres:// URL of the store replicas share (docs/sandbox.md)
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
		MaxAssertionLifetime timetext.Duration   `yaml:"maxAssertionLifetime"`
		ClockSkew            timetext.Duration   `yaml:"clockSkew"`
		TokenLifetime        timetext.Duration   `yaml:"tokenLifetime"`
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

	Specs []struct {
		File     string `yaml:"file"`
		BasePath string `yaml:"basePath"`
		Profile  string `yaml:"profile"`
	} `yaml:"specs"`

	// Limits bound every connection, on the token endpoint, the API and the
	// admin API alike (see connLimits for the defaults).
	Limits struct {
		ReadHeaderTimeout timetext.Duration `yaml:"readHeaderTimeout"` // the request line and headers; default 10s
		BodyReadTimeout   timetext.Duration `yaml:"bodyReadTimeout"`   // the request body; default 30s
		IdleTimeout       timetext.Duration `yaml:"idleTimeout"`       // a keep-alive connection between requests; default 2m
		MaxHeaderBytes    int               `yaml:"maxHeaderBytes"`    // the request line and headers; default 65536
		MaxConnections    int               `yaml:"maxConnections"`    // at once; default from the file descriptor limit (connCap)
	} `yaml:"limits"`

	// AdminAddr is where the admin API listens on its own (--admin-addr);
	// AdminToken makes it require Authorization: Bearer <token> (--admin-token).
	AdminAddr  string `yaml:"adminAddr"`
	AdminToken string `yaml:"adminToken"`

	dir     string        // folder of the file, for relative paths
	profile stack.Profile // the profile the file was checked for
	keys    any           // the profile's own keys, decoded (Profile.Config); nil: none
}

// maxConfigSize bounds the config file; a real one is a few kilobytes.
const maxConfigSize = 1 << 20

// loadConfig reads and checks a config file for the profile pick chooses
// from the file's own profile key. Each error is one line that starts with
// the file name and, where known, the line:
//
//	flamock.yaml: line 12: clients[0]: unknown key `certificate` (did you mean `certificates`?)
func loadConfig(name string, pick profilePick) (*fileConfig, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes; a config file is at most %d", name, len(data), maxConfigSize)
	}
	cfg, err := parseConfig(data, pick)
	if err != nil {
		if errors.Is(err, errUsage) { // an unknown profile: not the file's fault
			return nil, err
		}
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = name + ": " + l
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	cfg.dir = filepath.Dir(name)
	return cfg, nil
}

// configFor loads the config file name, or, without one, an empty config
// for the profile pick chooses.
func configFor(name string, pick profilePick) (*fileConfig, error) {
	if name != "" {
		return loadConfig(name, pick)
	}
	p, err := pick("")
	if err != nil {
		return nil, err
	}
	return &fileConfig{profile: p}, nil
}

// specs are the documents to serve: the file's, then the flags'
// (FILE[@BASEPATH]).
func (c *fileConfig) specs(flagValues []string) ([]mockfla.Spec, error) {
	var specs []mockfla.Spec
	for _, sp := range c.Specs {
		data, err := os.ReadFile(c.path(sp.File))
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		specs = append(specs, mockfla.Spec{Name: sp.File, Data: data, BasePath: sp.BasePath, Profile: sp.Profile})
	}
	for _, v := range flagValues {
		sp, err := mockfla.SpecFromFlag(v)
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

// profilePick chooses the profile from the config file's profile key ("" if
// it has none): see chooseProfile.
type profilePick func(fileProfile string) (stack.Profile, error)

// chooseProfile picks the profile of every command: --profile, else the
// config file's profile key, else generic when --spec is given, else the
// default. An unknown name is a usage error that lists the known ones.
func chooseProfile(flagName string, specFlags bool) profilePick {
	return func(fileName string) (stack.Profile, error) {
		name := flagName
		if name == "" {
			name = fileName
		}
		if name == "" {
			name = profiles.Default
			if specFlags {
				name = profiles.Generic
			}
		}
		p, err := profiles.Lookup(name)
		if err != nil {
			return stack.Profile{}, usageErrorf("%v", err)
		}
		return p, nil
	}
}

// parseConfig decodes YAML strictly, once: an unknown key is an error, so
// that a typo does not silently fall back to a default. The keys are
// flamock's own (fileConfig) and those of the chosen profile
// (stack.Profile.Config); a key another profile owns says which. Errors
// speak of keys and lines of the file, never of Go types.
func parseConfig(data []byte, pick profilePick) (*fileConfig, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var cfg fileConfig
	profile, err := pick(fileProfile(&doc))
	if err != nil {
		return nil, err
	}
	cfg.profile = profile
	if profile.Config != nil {
		cfg.keys = profile.Config()
	}
	if doc.Kind == 0 { // an empty file means all defaults
		return &cfg, nil
	}
	ck := keyCheck{profile: profile.Name, owners: keyOwners(profile.Name)}
	if errs := ck.check(&doc, configType(cfg.keys), "", 0); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, into := range []any{&cfg, cfg.keys} {
		if into == nil {
			continue
		}
		if err := doc.Decode(into); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				return nil, errors.New(strings.Join(te.Errors, "\n"))
			}
			return nil, err
		}
	}
	return &cfg, cfg.check()
}

// check reports what the keys' types cannot say.
func (cfg *fileConfig) check() error {
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
	return errors.Join(errs...)
}

// fileProfile is the file's top-level profile key, "" if none.
func fileProfile(doc *yaml.Node) string {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "profile" && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// configType is the type the file is checked against: fileConfig's keys,
// then the profile's (keys points to a struct; nil: none).
func configType(keys any) reflect.Type {
	var fields []reflect.StructField
	add := func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("yaml") == "" {
				continue
			}
			f.Name = fmt.Sprintf("F%d", len(fields)) // the tags name the keys
			f.Index, f.Offset = nil, 0
			fields = append(fields, f)
		}
	}
	add(reflect.TypeFor[fileConfig]())
	if t := reflect.TypeOf(keys); t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		add(t.Elem())
	}
	return reflect.StructOf(fields)
}

// keyOwners maps each top-level key of another profile to that profile.
func keyOwners(chosen string) map[string]string {
	owners := map[string]string{}
	for _, p := range profiles.All() {
		if p.Name == chosen || p.Config == nil {
			continue
		}
		t := reflect.TypeOf(p.Config()).Elem()
		for i := 0; i < t.NumField(); i++ {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
				owners[name] = p.Name
			}
		}
	}
	return owners
}

// maxConfigDepth bounds the walk of checkKeys (aliases can nest without end).
const maxConfigDepth = 16

var textType = reflect.TypeFor[encoding.TextUnmarshaler]()

// keyCheck is the strict check of a config file for one profile.
type keyCheck struct {
	profile string            // the chosen profile's name
	owners  map[string]string // top-level keys of other profiles -> their profile
}

// check walks the YAML tree beside the Go type it decodes into and
// reports, in the user's terms, keys that do not exist and values of the
// wrong shape or kind: "line 12: clients[0]: unknown key `certificate` (did
// you mean `certificates`?)".
func (ck keyCheck) check(n *yaml.Node, t reflect.Type, path string, depth int) []error {
	if depth > maxConfigDepth {
		return []error{fmt.Errorf("line %d: %snested too deep", n.Line, where(path))}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return ck.check(n.Content[0], t, path, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return ck.check(n.Alias, t, path, depth+1)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty value leaves the default
	}
	if reflect.PointerTo(t).Implements(textType) { // durations and dates
		if n.Kind != yaml.ScalarNode {
			return []error{fmt.Errorf("line %d: %swant a single value, found %s", n.Line, where(path), describeNode(n))}
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return []error{fmt.Errorf("line %d: %s%v", n.Line, where(path), err)}
		}
		return nil
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
			if owner := ck.owners[k.Value]; !ok && path == "" && owner != "" {
				errs = append(errs, fmt.Errorf("line %d: `%s` is a key of profile %s, and this configuration runs profile %s: "+
					"set `profile: %s` (or --profile %s), or remove the key", k.Line, k.Value, owner, ck.profile, owner, owner))
				continue
			}
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
			errs = append(errs, ck.check(v, f.Type, join(path, k.Value), depth+1)...)
		}
		return errs
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return []error{fmt.Errorf("line %d: %swant a list (like `[a, b]` or `- a` lines), found %s", n.Line, where(path), describeNode(n))}
		}
		var errs []error
		for i, item := range n.Content {
			errs = append(errs, ck.check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)...)
		}
		return errs
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return []error{fmt.Errorf("line %d: %swant keys and values (like `key: value`), found %s", n.Line, where(path), describeNode(n))}
		}
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, ck.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), depth+1)...)
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
