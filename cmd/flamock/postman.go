package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/stack"
)

const postmanDescription = `Write a Postman collection (format v2.1) of every operation of the documents flamock
serves — the same --config, --spec and --profile as flamock serve — with each operation's
example body, Bearer auth from the environment, and a test that the answer is a documented
success status; and an environment with the base URLs, the client id per document and the
path parameters. The collection's pre-request script asks the running flamock for a fresh
signed client assertion (POST /__admin/assertions) and gets a token from the token endpoint,
so it runs again and again (newman run -n 2). It works for the demo clients and for config
clients whose private key flamock was given (clients[].key).

  flamock postman --out postman
  newman run postman/flamock.postman_collection.json -e postman/flamock.postman_environment.json -n 2`

func runPostman(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock postman", "flamock postman --out DIR [--config FILE] [--spec FILE[@BASEPATH]] [flags]", postmanDescription)
	out := fs.String("out", "", "folder to write the collection and the environment to (required)")
	configFile := fs.String("config", "", "the YAML configuration flamock serve runs with")
	var specs specFlags
	fs.Var(&specs, "spec", "OpenAPI document flamock serve serves, FILE or FILE@BASEPATH (repeatable)")
	profileName := fs.String("profile", "", "API profile, as for flamock serve")
	baseURL := fs.String("base-url", "http://127.0.0.1:8080", "where flamock serve listens (the environment's baseUrl)")
	adminURL := fs.String("admin-url", "", "where its admin API answers (default: the base URL)")
	clientID := fs.String("client-id", "", "the client of every request (default: per document, the first client whose scopes it needs)")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("--out DIR is required")
	}
	if *adminURL == "" {
		*adminURL = *baseURL
	}
	*baseURL = strings.TrimSuffix(*baseURL, "/")
	*adminURL = strings.TrimSuffix(*adminURL, "/")
	fc := &fileConfig{}
	if *configFile != "" {
		var err error
		if fc, err = loadConfig(*configFile); err != nil {
			return err
		}
	}
	// The same stack serve would run (in memory, keys in a temporary demo
	// folder removed at once): what is mounted where, and its clients.
	fc.State, fc.Journal = "", ""
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServeSetup(fc, specs, *profileName, *configFile == "", "", logger)
	if err != nil {
		return withConfigHint(err, *configFile)
	}
	defer srv.Close()
	docs, err := postmanDocs(fc, specs, *profileName, *configFile == "")
	if err != nil {
		return err
	}
	mandates := fla.DemoMandates()
	if *configFile != "" { // the FLA profile's own reading of the file
		opts, err := fla.OptionsFromYAML(fc.raw)
		if err != nil {
			return withConfigHint(err, *configFile)
		}
		mandates = opts.Mandates
	}
	var order []string
	for _, cl := range fc.Clients {
		order = append(order, cl.ID)
	}
	if srv.Demo != nil {
		for _, cl := range srv.Demo.Clients {
			order = append(order, cl.ID)
		}
	}
	c := buildCollection(srv.Stack, docs, *clientID, mandates, order, stderr)
	if len(c.folders) == 0 {
		return fmt.Errorf("no document has a client to call it with")
	}
	env := c.environment(*baseURL, *adminURL, srv.TokenURL(*baseURL))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	colFile := filepath.Join(*out, "flamock.postman_collection.json")
	envFile := filepath.Join(*out, "flamock.postman_environment.json")
	for file, v := range map[string]any{colFile: c.json(), envFile: env} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	n := 0
	for _, f := range c.folders {
		n += len(f.requests)
		fmt.Fprintf(stdout, "%-40s %3d operations  client %s\n", f.name, len(f.requests), f.client)
	}
	fmt.Fprintf(stdout, "\nwrote %s (%d requests) and %s\n", colFile, n, envFile)
	fmt.Fprintf(stdout, "run: newman run %s -e %s -n 2   (against flamock serve at %s)\n", colFile, envFile, *baseURL)
	return nil
}

// postmanDoc is one mounted document, parsed.
type postmanDoc struct {
	name string
	doc  *openapi3.T
}

// postmanDocs parses the documents serve mounts: the config's and the
// flags', else the profile's.
func postmanDocs(fc *fileConfig, specFlagValues []string, profileName string, demo bool) ([]postmanDoc, error) {
	var specs []mockfla.Spec
	for _, sp := range fc.Specs {
		data, err := os.ReadFile(fc.path(sp.File))
		if err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
		specs = append(specs, mockfla.Spec{Name: sp.File, Data: data})
	}
	for _, v := range specFlagValues {
		sp, err := mockfla.SpecFromFlag(v)
		if err != nil {
			return nil, err
		}
		specs = append(specs, sp)
	}
	if len(specs) == 0 {
		if profileName == "" {
			profileName = fc.Profile
		}
		if profileName == "" {
			profileName = profiles.Default
		}
		p, err := profiles.Lookup(profileName)
		if err != nil {
			return nil, err
		}
		parts, err := p.Build(stack.Settings{Demo: demo, File: fc.raw})
		if err != nil {
			return nil, err
		}
		specs = parts.Specs
	}
	var docs []postmanDoc
	for _, sp := range specs {
		doc, err := loadOpenAPI(sp.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.Name, err)
		}
		docs = append(docs, postmanDoc{name: sp.Name, doc: doc})
	}
	return docs, nil
}

// loadOpenAPI parses an OpenAPI 3 document, or converts a Swagger 2.0 one.
func loadOpenAPI(data []byte) (*openapi3.T, error) {
	var head struct {
		Swagger string `yaml:"swagger"`
	}
	yaml.Unmarshal(data, &head)
	if strings.HasPrefix(head.Swagger, "2") {
		var d2 openapi2.T
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(j, &d2); err != nil {
			return nil, err
		}
		return openapi2conv.ToV3(&d2)
	}
	l := openapi3.NewLoader()
	return l.LoadFromData(data)
}

// collection is what buildCollection makes.
type collection struct {
	folders  []*postmanFolder
	params   map[string]string // path parameter -> value, for the environment
	order    []string
	mandates []fla.Mandate
}

type postmanFolder struct {
	name, basePath, clientVar, client string
	requests                          []map[string]any
}

// pmClient is a client the collection may act as.
type pmClient struct {
	id, quality, enterprise string
	scopes                  []string
}

func buildCollection(st *stack.Stack, docs []postmanDoc, forced string, mandates []fla.Mandate, order []string, warn io.Writer) *collection {
	c := &collection{params: map[string]string{}, mandates: mandates}
	var clients []pmClient
	registered := st.OAuth.Clients()
	// In the order the user knows them: the config's, the demo's, then any other.
	rank := map[string]int{}
	for i, id := range order {
		rank[id] = i + 1
	}
	sort.SliceStable(registered, func(i, j int) bool {
		ri, rj := rank[registered[i].ID], rank[registered[j].ID]
		if ri == 0 || rj == 0 {
			return ri != 0 && rj == 0 || ri == 0 && rj == 0 && registered[i].ID < registered[j].ID
		}
		return ri < rj
	})
	for _, cl := range registered {
		scopes := cl.Scopes
		if scopes == nil && st.Parts != nil {
			scopes = st.Parts.Qualities[cl.Quality]
		}
		clients = append(clients, pmClient{id: cl.ID, quality: cl.Quality, enterprise: cl.EnterpriseNumber, scopes: scopes})
	}
	mounts := st.API.Mounts()
	for _, d := range docs {
		base := ""
		for _, m := range mounts {
			if m.Name == d.name {
				base = strings.TrimSuffix(m.BasePath, "/")
			}
		}
		f := &postmanFolder{name: filepath.Base(d.name), basePath: base}
		f.clientVar = "clientId_" + regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(strings.TrimSuffix(f.name, filepath.Ext(f.name)), "_")
		scopes := docScopes(d.doc)
		client, ok := pickClient(clients, scopes, forced)
		if !ok {
			fmt.Fprintf(warn, "flamock postman: %s left out: no client has a scope it needs (%s); register one, or choose with --client-id\n",
				f.name, strings.Join(scopes, ", "))
			continue
		}
		f.client = client.id
		// Writes first, then reads, then deletes, each in path order: a
		// read finds what the writes stored, and the next iteration writes
		// again what the deletes removed.
		for _, methods := range [][]string{{"POST", "PUT", "PATCH"}, {"GET", "HEAD", "OPTIONS"}, {"DELETE"}} {
			for _, p := range orderedPaths(d.doc) {
				item := d.doc.Paths.Value(p)
				for _, method := range methods {
					if op := item.GetOperation(method); op != nil {
						f.requests = append(f.requests, c.request(base, p, method, item, op, client))
					}
				}
			}
		}
		c.folders = append(c.folders, f)
	}
	return c
}

// orderedPaths lists the paths sorted.
func orderedPaths(doc *openapi3.T) []string {
	var ps []string
	for p := range doc.Paths.Map() {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// docScopes lists the OAuth scopes the document's operations require.
func docScopes(doc *openapi3.T) []string {
	var out []string
	add := func(reqs *openapi3.SecurityRequirements) {
		if reqs == nil {
			return
		}
		for _, r := range *reqs {
			for _, scopes := range r {
				for _, s := range scopes {
					if !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
			}
		}
	}
	add(&doc.Security)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			add(op.Security)
		}
	}
	return out
}

// pickClient returns the forced client, else the first whose scopes the
// document needs (any client when the document names no scope).
func pickClient(clients []pmClient, scopes []string, forced string) (pmClient, bool) {
	if forced != "" {
		for _, c := range clients {
			if c.id == forced {
				return c, true
			}
		}
		return pmClient{id: forced}, true
	}
	for _, c := range clients {
		if len(scopes) == 0 {
			return c, true
		}
		for _, s := range c.scopes {
			if slices.Contains(scopes, s) {
				return c, true
			}
		}
	}
	return pmClient{}, false
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

func (c *collection) request(base, path, method string, item *openapi3.PathItem, op *openapi3.Operation, client pmClient) map[string]any {
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	byName := map[string]*openapi3.Parameter{}
	var query []string
	for _, pr := range params {
		if pr.Value == nil {
			continue
		}
		byName[pr.Value.In+":"+pr.Value.Name] = pr.Value
		if pr.Value.In == "query" && pr.Value.Required {
			query = append(query, pr.Value.Name+"="+c.paramValue(pr.Value, client))
		}
	}
	url := "{{baseUrl}}" + base + pathParamRE.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1 : len(m)-1]
		if _, ok := c.params[name]; !ok {
			c.params[name] = c.paramValue(byName["path:"+name], client)
			if c.params[name] == "" {
				c.params[name] = "1"
			}
			c.order = append(c.order, name)
		}
		return "{{" + name + "}}"
	})
	if len(query) > 0 {
		url += "?" + strings.Join(query, "&")
	}
	req := map[string]any{"method": method, "url": url, "header": []any{}}
	name := op.OperationID
	if name == "" {
		name = method + " " + path
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for ct, mt := range op.RequestBody.Value.Content {
			if ex, ok := exampleOf(mt); ok && strings.Contains(ct, "json") {
				b, _ := json.MarshalIndent(ex, "", "  ")
				req["header"] = []any{map[string]string{"key": "Content-Type", "value": ct}}
				req["body"] = map[string]any{"mode": "raw", "raw": string(b), "options": map[string]any{"raw": map[string]string{"language": "json"}}}
				break
			}
		}
	}
	var documented []int
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil {
			documented = append(documented, n)
		}
	}
	sort.Ints(documented)
	var success []int
	for _, n := range documented {
		if n < 300 {
			success = append(success, n)
		}
	}
	codes, _ := json.Marshal(success)
	all, _ := json.Marshal(documented)
	test := []string{
		fmt.Sprintf(`pm.test(%q, function () {`, method+" "+path+": a documented status"),
		fmt.Sprintf(`  pm.expect(%s, "statuses the spec documents").to.include(pm.response.code);`, all),
		`});`,
		fmt.Sprintf(`pm.test(%q, function () {`, method+" "+path+": success, as the example asks"),
		fmt.Sprintf(`  pm.expect(%s, pm.response.text()).to.include(pm.response.code);`, codes),
		`});`,
	}
	return map[string]any{
		"name":    name,
		"request": req,
		"event":   []any{map[string]any{"listen": "test", "script": map[string]any{"type": "text/javascript", "exec": test}}},
	}
}

// exampleOf returns the media type's example: example, else the first of
// examples (by name), else the schema's example.
func exampleOf(mt *openapi3.MediaType) (any, bool) {
	if mt == nil {
		return nil, false
	}
	if mt.Example != nil {
		return mt.Example, true
	}
	var names []string
	for n := range mt.Examples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ex := mt.Examples[n]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, true
		}
	}
	if mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Example != nil {
		return mt.Schema.Value.Example, true
	}
	return nil, false
}

// paramValue is a value for a parameter: its example, its schema's
// example, default or first enum value; else, for the identities of the
// Social Security APIs, the client's own (an employer's number, a
// mandating employer's for a social secretariat, a provider's number, a
// valid SSIN, a year the FLA serves).
func (c *collection) paramValue(p *openapi3.Parameter, client pmClient) string {
	if p == nil {
		return ""
	}
	if v := c.identityValue(p, client); v != "" {
		return v
	}
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	if p.Schema != nil && p.Schema.Value != nil {
		s := p.Schema.Value
		switch {
		case s.Example != nil:
			return fmt.Sprint(s.Example)
		case s.Default != nil:
			return fmt.Sprint(s.Default)
		case len(s.Enum) > 0:
			return fmt.Sprint(s.Enum[0])
		}
	}
	if p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type != nil && (p.Schema.Value.Type.Is("integer") || p.Schema.Value.Type.Is("number")) {
		return "1"
	}
	return "example"
}

// identityValue is the value of a path parameter that names an identity
// of the Social Security APIs: the client's own enterprise number (an
// employer's without the leading 0; for a social secretariat, an employer
// that mandated it), a valid SSIN, a year the FLA serves. Examples in a
// document name someone else; the tenant check would refuse them.
func (c *collection) identityValue(p *openapi3.Parameter, client pmClient) string {
	lower := strings.ToLower(p.Name)
	switch {
	case client.enterprise != "" && strings.Contains(lower, "employer"):
		ent := client.enterprise
		if client.quality == "provider" {
			ent = c.mandatedEmployer(client.enterprise)
		}
		return strings.TrimPrefix(ent, "0")
	case client.enterprise != "" && (strings.Contains(lower, "provider") || strings.Contains(lower, "enterprise")):
		return client.enterprise
	case lower == "ssin" || strings.Contains(lower, "inss") || strings.Contains(lower, "niss"):
		return "65111899801"
	case strings.Contains(lower, "calendaryear"):
		return "2023"
	}
	return ""
}

// mandatedEmployer returns an employer that mandated provider.
func (c *collection) mandatedEmployer(provider string) string {
	for _, m := range c.mandates {
		if m.Provider == provider {
			return m.Employer
		}
	}
	return provider
}

// The scripts of the collection. The folder's pre-request script gets a
// token for its client: a fresh assertion from flamock, then the token
// endpoint, the token kept (per client) until 30 s before it expires.
var preRequest = `const clientId = pm.environment.get("%s") || pm.environment.get("clientId");
const cacheKey = "token:" + clientId;
const cached = JSON.parse(pm.collectionVariables.get(cacheKey) || "null");
if (cached && Date.now() < cached.until) {
  pm.variables.set("accessToken", cached.token);
} else {
  const tokenUrl = pm.environment.get("tokenUrl");
  pm.sendRequest({
    url: pm.environment.get("adminUrl") + "/__admin/assertions",
    method: "POST",
    header: Object.assign({ "Content-Type": "application/json" },
      pm.environment.get("adminToken") ? { "Authorization": "Bearer " + pm.environment.get("adminToken") } : {}),
    body: { mode: "raw", raw: JSON.stringify({ clientId: clientId, audience: tokenUrl }) }
  }, function (err, res) {
    if (err || res.code !== 200) { throw new Error("flamock did not sign an assertion for " + clientId + ": " + (err || res.text())); }
    const a = res.json();
    pm.sendRequest({
      url: tokenUrl,
      method: "POST",
      header: { "Content-Type": "application/x-www-form-urlencoded" },
      body: { mode: "urlencoded", urlencoded: [
        { key: "grant_type", value: "client_credentials" },
        { key: "client_assertion_type", value: a.clientAssertionType },
        { key: "client_assertion", value: a.clientAssertion }
      ] }
    }, function (err2, res2) {
      if (err2 || res2.code !== 200) { throw new Error("token request for " + clientId + " refused: " + (err2 || res2.text())); }
      const t = res2.json();
      pm.collectionVariables.set(cacheKey, JSON.stringify({ token: t.access_token, until: Date.now() + (t.expires_in - 30) * 1000 }));
      pm.variables.set("accessToken", t.access_token);
    });
  });
}`

func (c *collection) json() map[string]any {
	var folders []any
	var names []string
	for _, f := range c.folders {
		names = append(names, f.name)
		folders = append(folders, map[string]any{
			"name":        f.name,
			"description": "Every operation of " + f.name + ", mounted at " + f.basePath + ", as " + f.client + " (environment variable " + f.clientVar + ").",
			"item":        f.requests,
			"event": []any{map[string]any{"listen": "prerequest", "script": map[string]any{
				"type": "text/javascript", "exec": strings.Split(fmt.Sprintf(preRequest, f.clientVar), "\n")}}},
		})
	}
	return map[string]any{
		"info": map[string]any{
			"name":        "flamock: " + strings.Join(names, ", "),
			"schema":      "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
			"description": "Generated by flamock postman. Each request gets its token from the token endpoint with a fresh client assertion signed by flamock (POST /__admin/assertions), so the collection runs any number of times.",
		},
		"auth":     map[string]any{"type": "bearer", "bearer": []any{map[string]string{"key": "token", "value": "{{accessToken}}", "type": "string"}}},
		"item":     folders,
		"variable": []any{},
	}
}

func (c *collection) environment(base, admin, tokenURL string) map[string]any {
	vals := []any{
		map[string]any{"key": "baseUrl", "value": base, "enabled": true},
		map[string]any{"key": "tokenUrl", "value": tokenURL, "enabled": true},
		map[string]any{"key": "adminUrl", "value": admin, "enabled": true},
		map[string]any{"key": "adminToken", "value": "", "enabled": true}, // flamock serve --admin-token, if set
	}
	if len(c.folders) > 0 {
		vals = append(vals, map[string]any{"key": "clientId", "value": c.folders[0].client, "enabled": true})
	}
	for _, f := range c.folders {
		vals = append(vals, map[string]any{"key": f.clientVar, "value": f.client, "enabled": true})
	}
	for _, name := range c.order {
		vals = append(vals, map[string]any{"key": name, "value": c.params[name], "enabled": true})
	}
	return map[string]any{"name": "flamock", "values": vals, "_postman_variable_scope": "environment"}
}
