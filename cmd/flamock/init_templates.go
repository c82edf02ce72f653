package main

import "text/template"

// initVars are what the templates of flamock init fill in.
type initVars struct {
	Dir, ClientID, Quality, Qualities, Enterprise, Key, Password string
	Adapter, AdapterCommand, Thumbprint, TokenURL                string
	Profile                                                      string // the profile's name when the config must say it (--spec, --profile)
	Scopes                                                       string // "a, b": the client's own scopes, when its quality grants none
	OwnScopes                                                    bool
	ProfileKeys                                                  string // the profile's own keys (stack.Profile.ConfigExample)
	Specs                                                        []initSpec
	SpecArgs                                                     string // " --spec FILE@BASE ..." for flamock conform
	// The first call: its operation, method, URL and body file ("": none).
	Operation, Method, CallURL, BodyFile, ContentType string
}

// initSpec is one document the config serves.
type initSpec struct{ File, Base string }

var initConfigTemplate = template.Must(template.New("flamock.yaml").Parse(`# flamock serve --config {{.Dir}}/flamock.yaml
# Written by flamock init. Relative paths are relative to this file's folder.
# Every key is optional; unknown keys are errors (a typo never falls back to
# a default).
{{- if .Profile}}

profile: {{.Profile}}                # the API profile (flamock profiles)
{{- end}}

# addr: 127.0.0.1:8080          # where serve listens (":0" picks a free port and prints it)
# tls: false                    # true: HTTPS with a generated CA, written to a file that serve prints
strict: true                    # validate every response against the spec
journal: traffic.jsonl          # every token request and API call, for: flamock verify traffic.jsonl
# state: state.log              # durable store across restarts; default: in memory

oauth:
  maxAssertionLifetime: 10m     # exp - iat at most (the portal's rule)
  clockSkew: 60s
  tokenLifetime: 600s           # expires_in of access tokens
  # invalidClientStatus: 401    # the portal answers 400 invalid_client; try 401 too

clients:
  - id: {{.ClientID}}
    quality: {{.Quality}}{{if .Qualities}}             # {{.Qualities}}{{end}}
{{- if .OwnScopes}}
    scopes: [{{.Scopes}}]       # the profile grants no scope by quality: every scope the documents name
{{- end}}
    enterpriseNumber: "{{.Enterprise}}"
    certificates: [certs/client.cer]  # SHA-1 thumbprint {{.Thumbprint}}
    key: certs/client.p12             # optional: lets POST /__admin/assertions sign for Postman (flamock postman)
    password: {{.Password}}
    # Add the second certificate here during a rotation: [certs/client.cer, certs/next.cer]
{{- if .ProfileKeys}}

{{.ProfileKeys}}
{{- end}}
{{- if .Specs}}

specs:                          # the documents to serve (copied into specs/)
{{- range .Specs}}
  - file: {{.File}}
{{- if .Base}}
    basePath: {{.Base}}
{{- end}}
{{- end}}
{{- else}}

# specs:                        # default: the profile's own documents
#   - file: dimona.yaml
#     basePath: /REST/dimona/v2
{{- end}}
`))

var initReadmeTemplate = template.Must(template.New("README.md").Parse(`# flamock test client {{.ClientID}}

Written by ` + "`flamock init`" + `. The commands below run from the folder where init was run
(write ` + "`bin/flamock` or `go run ./cmd/flamock`" + ` for ` + "`flamock`" + ` if it is not on your PATH).

| file | what |
|---|---|
| ` + "`certs/client.cer`" + ` | the certificate to register on the portal (Chaman); SHA-1 thumbprint ` + "`{{.Thumbprint}}`" + ` |
| ` + "`certs/client.p12`" + `, ` + "`certs/client.key`" + ` | the private key (PKCS#12 password ` + "`{{.Password}}`" + `, PEM PKCS#8) |
| ` + "`flamock.yaml`" + ` | registers the client ` + "`{{.ClientID}}`" + ` ({{.Quality}}, enterprise {{.Enterprise}}) |
| ` + "`adapter/`" + ` | the {{.Adapter}} adapter template for ` + "`flamock conform`" + ` |
{{- if .BodyFile}}
| ` + "`{{.BodyFile}}`" + ` | a request body the spec accepts ({{.Operation}}) |
{{- end}}

## 1. Start the mocks

` + "```sh" + `
flamock serve --config {{.Dir}}/flamock.yaml
` + "```" + `

It prints the token URL ({{.TokenURL}}) and the API base URLs, and writes every request
to ` + "`{{.Dir}}/traffic.jsonl`" + `. Each refused request is explained on stderr.

## 2. A first call, then your own client

` + "```sh" + `
TOKEN=$(flamock token --token-url {{.TokenURL}} --client-id {{.ClientID}} --key {{.Dir}}/certs/client.p12 --password {{.Password}})
{{- if .BodyFile}}
curl -X {{.Method}} -H "Authorization: Bearer $TOKEN" -H 'Content-Type: {{.ContentType}}' --data @{{.Dir}}/{{.BodyFile}} \
  {{.CallURL}}
{{- else}}
curl -X {{.Method}} -H "Authorization: Bearer $TOKEN" {{.CallURL}}
{{- end}}
` + "```" + `

Then point your client's token URL and API base URL at the same URLs, with this client id and key,
and run your own tests. ` + "`flamock verify {{.Dir}}/traffic.jsonl --client-id {{.ClientID}}`" + `
judges what it sent.

## 3. The conformance suite

The adapter turns the suite's operations into calls of a client. As written, it is flamock's
reference client: replace the two places marked YOUR CLIENT with calls of your own client's token
and API code, then:

` + "```sh" + `
flamock conform{{.SpecArgs}} --client "{{.AdapterCommand}}" --cert {{.Dir}}/certs/client.cer --key {{.Dir}}/certs/client.p12 --password {{.Password}}
` + "```" + `

It exits 0 when every MUST rule passes: the check to run in CI before asking the portal for test access.
Until the adapter is changed, it judges flamock's reference client, says so, and exits 1
(` + "`--reference`" + ` judges it on purpose).
`))
