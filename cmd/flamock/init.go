package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/conformance/adapters"
	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/stack"
)

const initDescription = `Write a ready folder for a vendor's client: a certificate and key the portal accepts
(certs/client.cer to register, certs/client.p12 and certs/client.key to sign with), a
commented flamock.yaml that registers the client, an adapter template for the conformance
suite in the language of --adapter (adapter/), a spec-valid request body, and a README.md
with the next three commands. DIR must not exist or be empty.`

// adapterLanguages are the values of --adapter; a language whose template
// does not ship with this flamock gets the bash one, and init says so.
var adapterLanguages = []string{"bash", "python", "node", "java", "go"}

// initKeys are the key types the portal accepts.
var initKeys = []string{"rsa2048", "rsa3072", "rsa4096", "p384", "p521"}

var clientIDRE = regexp.MustCompile(`^self_service_chaman_\d{6}_[a-z0-9]{1,10}$`)

func runInit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("flamock init", "flamock init DIR [flags]", initDescription)
	keyName := flags.String("key", "rsa2048", "key type: rsa2048, rsa3072, rsa4096, p384, p521")
	adapter := flags.String("adapter", "bash", "adapter template: "+strings.Join(adapterLanguages, ", "))
	enterprise := flags.String("enterprise-number", "0403019261", "the client's KBO/BCE enterprise number")
	quality := flags.String("quality", fla.QualityEmployer, "the client's quality: employer, provider (a social secretariat), trainingProvider")
	cn := flags.String("cn", "", "certificate common name (default: DIR's name and \"test client\")")
	clientID := flags.String("client-id", "", "client id (default: self_service_chaman_ + 6 digits of the enterprise number + _ + 10 letters of DIR's name)")
	password := flags.String("password", stack.DemoPassword, "password of the PKCS#12 file")
	pos, err := parseFlags(flags, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want one folder, e.g. flamock init acme (got %d arguments)", len(pos))
	}
	dir := pos[0]
	kt, err := certgen.ParseKeyType(*keyName)
	if err != nil || !slices.Contains(initKeys, *keyName) {
		return usageErrorf("--key %q: want one of %s (the portal accepts these; flamock cert create --non-compliant-for-negative-tests makes others)",
			*keyName, strings.Join(initKeys, ", "))
	}
	if !slices.Contains(adapterLanguages, *adapter) {
		return usageErrorf("--adapter %q: want one of %s", *adapter, strings.Join(adapterLanguages, ", "))
	}
	if _, ok := fla.Qualities()[*quality]; !ok {
		return usageErrorf("--quality %q: want employer, provider or trainingProvider", *quality)
	}
	ent, err := beid.NormalizeEnterpriseNumber(*enterprise)
	if err != nil {
		return usageErrorf("--enterprise-number: %v", err)
	}
	name := strings.ToLower(filepath.Base(filepath.Clean(dir)))
	if *clientID == "" {
		letters := regexp.MustCompile(`[^a-z0-9]`).ReplaceAllString(name, "")
		if letters == "" {
			letters = "client"
		}
		*clientID = fmt.Sprintf("self_service_chaman_%s_%s", ent[1:7], letters[:min(10, len(letters))])
	}
	if !clientIDRE.MatchString(*clientID) {
		return usageErrorf("--client-id %q: want self_service_chaman_ + 6 digits + _ + 1 to 10 lower-case letters or digits", *clientID)
	}
	if *cn == "" {
		*cn = filepath.Base(filepath.Clean(dir)) + " test client"
	}

	lang, tmpl := *adapter, fs_(adapters.Template(*adapter))
	if tmpl == nil {
		fmt.Fprintf(stderr, "flamock init: no %s adapter template ships with this flamock (templates: %s); writing the bash one\n",
			lang, strings.Join(adapters.Languages(), ", "))
		lang, tmpl = "bash", fs_(adapters.Template("bash"))
		if tmpl == nil {
			return fmt.Errorf("no bash adapter template in this build")
		}
	}
	if lang == "bash" && kt != certgen.RSA2048 && kt != certgen.RSA3072 && kt != certgen.RSA4096 {
		return usageErrorf("--key %s: the bash adapter signs RS256 only; choose an RSA key, or another --adapter", *keyName)
	}

	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; init writes into a new or empty folder", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
		return err
	}
	digest := certgen.SHA256
	switch kt {
	case certgen.P384:
		digest = certgen.SHA384
	case certgen.P521:
		digest = certgen.SHA512
	}
	b, err := certgen.Create(certgen.Request{Key: kt, Digest: digest, CommonName: *cn, EnterpriseNumber: ent})
	if err != nil {
		return err
	}
	files, err := b.WriteFiles(filepath.Join(dir, "certs", "client"), *password, certgen.Modern)
	if err != nil {
		return err
	}

	// The adapter template, as it ships.
	adapterDir := filepath.Join(dir, "adapter")
	var adapterFiles []string
	err = fs.WalkDir(tmpl, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(tmpl, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(adapterDir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(string(data), "#!") {
			mode = 0o755
		}
		adapterFiles = append(adapterFiles, path.Join("adapter", p))
		return os.WriteFile(dst, data, mode)
	})
	if err != nil {
		return err
	}

	body, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "trainings-2023.json"), body, 0o644); err != nil {
		return err
	}

	v := initVars{
		Dir: dir, ClientID: *clientID, Quality: *quality, Enterprise: ent, Key: *keyName, Password: *password,
		Adapter: lang, AdapterCommand: adapterCommand(lang, filepath.Join(dir, "adapter"), adapterFiles),
		Thumbprint: certgen.ThumbprintsOf(b.Cert).SHA1, Employer: ent[1:], MandateEmployer: "0880820673",
		TokenURL: defaultTokenURL, APIURL: "http://127.0.0.1:8080" + fla.EmployerBasePath,
		Employee: "65111899801",
	}
	if *quality == fla.QualityTrainingProvider {
		v.APIURL = "http://127.0.0.1:8080" + fla.TrainingProviderBasePath
	}
	if *quality == fla.QualityProvider {
		v.Employer = v.MandateEmployer[1:]
	}
	for file, t := range map[string]*template.Template{"flamock.yaml": initConfigTemplate, "README.md": initReadmeTemplate, ".gitignore": initGitignoreTemplate} {
		var sb strings.Builder
		if err := t.Execute(&sb, v); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(sb.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "flamock init: wrote %s\n", dir)
	fmt.Fprintf(stdout, "  %-24s %s (register this one on the portal)\n", "certificate", files.CER)
	fmt.Fprintf(stdout, "  %-24s %s, %s (PKCS#12 password %q)\n", "private key", files.P12, files.Key, *password)
	fmt.Fprintf(stdout, "  %-24s %s (client %s, %s, enterprise %s)\n", "config", filepath.Join(dir, "flamock.yaml"), *clientID, *quality, ent)
	fmt.Fprintf(stdout, "  %-24s %s (%s)\n", "adapter", adapterDir, lang)
	fmt.Fprintf(stdout, "  %-24s %s\n", "next commands", filepath.Join(dir, "README.md"))
	return nil
}

// fs_ drops the found flag of adapters.Template.
func fs_(f fs.FS, ok bool) fs.FS {
	if !ok {
		return nil
	}
	return f
}

// adapterCommand is the --client command of flamock conform for a template.
func adapterCommand(lang, dir string, files []string) string {
	for _, f := range files {
		switch {
		case lang == "bash" && strings.HasSuffix(f, ".sh"):
			return "bash " + filepath.Join(dir, strings.TrimPrefix(f, "adapter/"))
		case lang == "python" && strings.HasSuffix(f, ".py"):
			return "python3 " + filepath.Join(dir, strings.TrimPrefix(f, "adapter/"))
		case lang == "node" && (strings.HasSuffix(f, ".js") || strings.HasSuffix(f, ".mjs")):
			return "node " + filepath.Join(dir, strings.TrimPrefix(f, "adapter/"))
		case lang == "java" && strings.HasSuffix(f, ".java"):
			return "java " + filepath.Join(dir, strings.TrimPrefix(f, "adapter/"))
		}
	}
	return "(see " + dir + ": the template's own notes say how to run it)"
}

type initVars struct {
	Dir, ClientID, Quality, Enterprise, Key, Password, Adapter, AdapterCommand string
	Thumbprint, Employer, MandateEmployer, TokenURL, APIURL, Employee          string
}

var initConfigTemplate = template.Must(template.New("flamock.yaml").Parse(`# flamock serve --config {{.Dir}}/flamock.yaml
# Written by flamock init. Relative paths are relative to this file's folder.
# Every key is optional; unknown keys are errors (a typo never falls back to
# a default).

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
    quality: {{.Quality}}             # employer | provider | trainingProvider
    enterpriseNumber: "{{.Enterprise}}"
    certificates: [certs/client.cer]  # SHA-1 thumbprint {{.Thumbprint}}
    key: certs/client.p12             # optional: lets POST /__admin/assertions sign for Postman (flamock postman)
    password: {{.Password}}
    # Add the second certificate here during a rotation: [certs/client.cer, certs/next.cer]
{{- if eq .Quality "provider"}}

mandates:                       # the employers this social secretariat may act for
  - provider: "{{.Enterprise}}"
    employer: "{{.MandateEmployer}}"
    from: 2024-01-01
{{- else}}

# mandates:                     # for a social secretariat (quality provider)
#   - provider: "0314595348"
#     employer: "{{.Enterprise}}"
#     from: 2024-01-01
{{- end}}

# specs:                        # default: the two embedded FLA documents
#   - file: dimona.yaml
#     basePath: /REST/dimona/v2
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
| ` + "`trainings-2023.json`" + ` | a request body the FLA spec accepts |

## 1. Start the mocks

` + "```sh" + `
flamock serve --config {{.Dir}}/flamock.yaml
` + "```" + `

It prints the token URL ({{.TokenURL}}) and the API base URLs, and writes every request
to ` + "`{{.Dir}}/traffic.jsonl`" + `. Each refused request is explained on stderr.

## 2. A first call, then your own client

` + "```sh" + `
TOKEN=$(flamock token --token-url {{.TokenURL}} --client-id {{.ClientID}} --key {{.Dir}}/certs/client.p12 --password {{.Password}})
{{- if eq .Quality "trainingProvider"}}
curl -H "Authorization: Bearer $TOKEN" {{.APIURL}}/
{{- else}}
curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data @{{.Dir}}/trainings-2023.json \
  {{.APIURL}}/employers/{{.Employer}}/employees/{{.Employee}}/calendarYears/2023/trainings
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
flamock conform --client "{{.AdapterCommand}}" --cert {{.Dir}}/certs/client.cer --key {{.Dir}}/certs/client.p12 --password {{.Password}}
` + "```" + `

It exits 0 when every MUST rule passes: the check to run in CI before asking the portal for test access.
Until the adapter is changed, it judges flamock's reference client, says so, and exits 1
(` + "`--reference`" + ` judges it on purpose).
`))
