package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/flamock/flamock/mockfla"
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
	fc, err := configFor(*configFile, chooseProfile(*profileName, len(specs) > 0))
	if err != nil {
		return err
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
	api, err := profileAPI(fc, specs, *profileName, *configFile == "")
	if err != nil {
		return err
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
	c := buildCollection(srv.Stack, api, *clientID, order, stderr)
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

// collection is what buildCollection makes.
type collection struct {
	folders []*postmanFolder
	params  map[string]string // path parameter -> value, for the environment
	order   []string
	actsFor func(enterpriseNumber string) []string // the profile's tenant rule; nil: none
}

type postmanFolder struct {
	name, basePath, clientVar, client string
	requests                          []map[string]any
}

// pmClient is a client the collection may act as.
type pmClient struct {
	id, enterprise string
	scopes         []string
}

func buildCollection(st *stack.Stack, api *stack.API, forced string, order []string, warn io.Writer) *collection {
	c := &collection{params: map[string]string{}}
	if st.Parts != nil {
		c.actsFor = st.Parts.ActsFor
	}
	clients := collectionClients(st, order)
	mounts := st.API.Mounts()
	for _, d := range api.Documents {
		base := d.BasePath
		for _, m := range mounts {
			if m.Name == d.Name {
				base = strings.TrimSuffix(m.BasePath, "/")
			}
		}
		f := &postmanFolder{name: filepath.Base(d.Name), basePath: base}
		f.clientVar = "clientId_" + regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(strings.TrimSuffix(f.name, filepath.Ext(f.name)), "_")
		scopes := docScopes(api, d.Name)
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
			for _, op := range documentOps(api, d.Name) {
				if slices.Contains(methods, op.Method) {
					f.requests = append(f.requests, c.request(d, base, op, client))
				}
			}
		}
		c.folders = append(c.folders, f)
	}
	return c
}

// collectionClients are the registered clients, in the order the user
// knows them: the config's, the demo's, then any other.
func collectionClients(st *stack.Stack, order []string) []pmClient {
	registered, _ := st.OAuth.Clients() // postman builds an embedded stack, whose registry is memory: it cannot fail
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
	var clients []pmClient
	for _, cl := range registered {
		scopes := cl.Scopes
		if scopes == nil && st.Parts != nil {
			scopes = st.Parts.Qualities[cl.Quality]
		}
		clients = append(clients, pmClient{id: cl.ID, enterprise: cl.EnterpriseNumber, scopes: scopes})
	}
	return clients
}

// documentOps are the operations of one document of the API model, in
// path order.
func documentOps(api *stack.API, doc string) []stack.Operation {
	var out []stack.Operation
	for _, op := range api.Operations {
		if op.Document == doc {
			out = append(out, op)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// docScopes lists the OAuth scopes the document's operations require.
func docScopes(api *stack.API, doc string) []string {
	var out []string
	for _, op := range documentOps(api, doc) {
		for _, s := range op.Scopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
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

// request is the collection's request of op: the API model's valid
// request, its path parameters as environment variables (an enterprise
// number the client's own, or one it acts for), and tests that the answer
// is a documented success.
func (c *collection) request(d mockfla.Document, base string, op stack.Operation, client pmClient) map[string]any {
	values := pathValues(op.Path, op.Valid.Path)
	params := operationParams(d, op)
	url := "{{baseUrl}}" + base + pathParamRE.ReplaceAllStringFunc(op.Path, func(m string) string {
		name := m[1 : len(m)-1]
		if _, ok := c.params[name]; !ok {
			v := values[name]
			if own := identityValue(d, params[name], client.enterprise, c.actsFor); own != "" {
				v = own
			}
			if v == "" {
				v = "1"
			}
			c.params[name] = v
			c.order = append(c.order, name)
		}
		return "{{" + name + "}}"
	})
	if _, query, ok := strings.Cut(op.Valid.Path, "?"); ok {
		url += "?" + query
	}
	req := map[string]any{"method": op.Method, "url": url, "header": []any{}}
	if body := requestBody(op.Valid); body != nil {
		req["body"] = body
		if op.Valid.ContentType != "" && !strings.HasPrefix(op.Valid.ContentType, "multipart/") {
			req["header"] = []any{map[string]string{"key": "Content-Type", "value": op.Valid.ContentType}}
		}
	}
	var success []int
	for _, n := range op.Statuses {
		if n < 300 {
			success = append(success, n)
		}
	}
	codes, _ := json.Marshal(success)
	all, _ := json.Marshal(op.Statuses)
	where := op.Method + " " + op.Path
	test := []string{
		fmt.Sprintf(`pm.test(%q, function () {`, where+": a documented status"),
		fmt.Sprintf(`  pm.expect(%s, "statuses the spec documents").to.include(pm.response.code);`, all),
		`});`,
		fmt.Sprintf(`pm.test(%q, function () {`, where+": success, as the example asks"),
		fmt.Sprintf(`  pm.expect(%s, pm.response.text()).to.include(pm.response.code);`, codes),
		`});`,
	}
	return map[string]any{
		"name":    op.ID,
		"request": req,
		"event":   []any{map[string]any{"listen": "test", "script": map[string]any{"type": "text/javascript", "exec": test}}},
	}
}

// requestBody is a Postman body of a valid request: raw JSON, or the
// fields of a form; nil without a body.
func requestBody(r stack.Request) map[string]any {
	if r.ContentType == "" {
		return nil
	}
	form := strings.HasPrefix(r.ContentType, "multipart/form-data") || strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded")
	if !form {
		var pretty bytes.Buffer
		if json.Indent(&pretty, r.Body, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(r.Body)
		}
		return map[string]any{"mode": "raw", "raw": pretty.String(), "options": map[string]any{"raw": map[string]string{"language": "json"}}}
	}
	var fields map[string]any
	_ = json.Unmarshal(r.Body, &fields)
	var list []any
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v, ok := fields[k].(string)
		if !ok {
			b, _ := json.Marshal(fields[k])
			v = string(b)
		}
		list = append(list, map[string]string{"key": k, "value": v, "type": "text"})
	}
	if strings.HasPrefix(r.ContentType, "multipart/") {
		return map[string]any{"mode": "formdata", "formdata": list}
	}
	return map[string]any{"mode": "urlencoded", "urlencoded": list}
}
