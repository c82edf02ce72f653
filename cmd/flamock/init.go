package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"io/fs"
	"maps"
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
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/stack"
)

const initDescription = `Write a ready folder for a vendor's client: a certificate and key the portal accepts
(certs/client.cer to register, certs/client.p12 and certs/client.key to sign with), a
commented flamock.yaml that registers the client, an adapter template for the conformance
suite in the language of --adapter (adapter/), a spec-valid request body, and a README.md
with the next three commands. DIR must not exist or be empty. The API is the profile's
(--profile, default fla) or, with --spec FILE[@BASEPATH], any OpenAPI 3.x or Swagger 2.0
document (copied into DIR/specs/ and served by the config).`

// adapterLanguages are the values of --adapter; a language whose template
// does not ship with this flamock gets the bash one, and init says so.
var adapterLanguages = []string{"bash", "python", "node", "java", "go"}

// initKeys are the key types the portal accepts.
var initKeys = []string{"rsa2048", "rsa3072", "rsa4096", "p384", "p521"}

var clientIDRE = regexp.MustCompile(`^self_service_chaman_\d{6}_[a-z0-9]{1,10}$`)

// initOptions are the flags of flamock init, checked.
type initOptions struct {
	dir, keyName, lang, enterprise, quality, cn, clientID, password string
	key                                                             certgen.KeyType
	tmpl                                                            fs.FS // the adapter template
	specs                                                           []string
	profile                                                         stack.Profile
	explicitProfile                                                 bool // --profile or --spec: the config names it
	api                                                             *stack.API
}

func runInit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseInitFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(o.dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; init writes into a new or empty folder", o.dir)
	}
	if err := os.MkdirAll(filepath.Join(o.dir, "certs"), 0o755); err != nil {
		return err
	}
	cert, err := o.writeCertificate()
	if err != nil {
		return err
	}
	adapterFiles, err := o.writeAdapter()
	if err != nil {
		return err
	}
	v := initVars{
		Dir: o.dir, ClientID: o.clientID, Quality: o.quality, Enterprise: o.enterprise, Key: o.keyName, Password: o.password,
		Adapter: o.lang, AdapterCommand: adapterCommand(o.lang, filepath.Join(o.dir, "adapter"), adapterFiles),
		Thumbprint: certgen.ThumbprintsOf(cert.cert).SHA1, TokenURL: defaultTokenURL,
	}
	parts, err := o.writeConfig(&v)
	if err != nil {
		return err
	}
	if err := o.writeFirstCall(&v, parts); err != nil {
		return err
	}
	for file, t := range map[string]*template.Template{"README.md": initReadmeTemplate, ".gitignore": initGitignoreTemplate} {
		if err := writeTemplate(filepath.Join(o.dir, file), t, v); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "flamock init: wrote %s\n", o.dir)
	fmt.Fprintf(stdout, "  %-24s %s (register this one on the portal)\n", "certificate", cert.files.CER)
	fmt.Fprintf(stdout, "  %-24s %s, %s (PKCS#12 password %q)\n", "private key", cert.files.P12, cert.files.Key, o.password)
	fmt.Fprintf(stdout, "  %-24s %s (client %s, %s, enterprise %s)\n", "config", filepath.Join(o.dir, "flamock.yaml"), o.clientID, o.quality, o.enterprise)
	fmt.Fprintf(stdout, "  %-24s %s (%s)\n", "adapter", filepath.Join(o.dir, "adapter"), o.lang)
	fmt.Fprintf(stdout, "  %-24s %s\n", "next commands", filepath.Join(o.dir, "README.md"))
	return nil
}

// parseInitFlags reads and checks the flags, and loads the profile's API
// model (its qualities, operations and valid requests).
func parseInitFlags(args []string, stdout, stderr io.Writer) (*initOptions, error) {
	flags := newFlagSet("flamock init", "flamock init DIR [--spec FILE[@BASEPATH]] [flags]", initDescription)
	keyName := flags.String("key", "rsa2048", "key type: rsa2048, rsa3072, rsa4096, p384, p521")
	adapter := flags.String("adapter", "bash", "adapter template: "+strings.Join(adapterLanguages, ", "))
	enterprise := flags.String("enterprise-number", "0403019261", "the client's KBO/BCE enterprise number")
	quality := flags.String("quality", "", "the client's quality, one the profile knows (default: its demo client's; the FLA's: employer, provider, trainingProvider)")
	cn := flags.String("cn", "", "certificate common name (default: DIR's name and \"test client\")")
	clientID := flags.String("client-id", "", "client id (default: self_service_chaman_ + 6 digits of the enterprise number + _ + 10 letters of DIR's name)")
	password := flags.String("password", stack.DemoPassword, "password of the PKCS#12 file")
	var specs specFlags
	flags.Var(&specs, "spec", "OpenAPI document of the API, FILE or FILE@BASEPATH (repeatable; default: the profile's documents)")
	profileName := flags.String("profile", "", "API profile: "+profileNames()+" (default "+profiles.Default+", or generic with --spec)")
	pos, err := parseFlags(flags, args, stdout, stderr)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usageErrorf("want one folder, e.g. flamock init acme (got %d arguments)", len(pos))
	}
	o := &initOptions{dir: pos[0], keyName: *keyName, cn: *cn, clientID: *clientID, password: *password, specs: specs,
		explicitProfile: *profileName != "" || len(specs) > 0}
	if err := o.checkKeyAndAdapter(*adapter, stderr); err != nil {
		return nil, err
	}
	if o.profile, err = chooseProfile(*profileName, len(specs) > 0)(""); err != nil {
		return nil, err
	}
	if err := o.loadModel(); err != nil {
		return nil, err
	}
	if o.quality, err = o.checkQuality(*quality); err != nil {
		return nil, err
	}
	if o.enterprise, err = beid.NormalizeEnterpriseNumber(*enterprise); err != nil {
		return nil, usageErrorf("--enterprise-number: %v", err)
	}
	return o, o.names()
}

// checkKeyAndAdapter checks --key and --adapter and finds the template.
func (o *initOptions) checkKeyAndAdapter(adapter string, stderr io.Writer) error {
	kt, err := certgen.ParseKeyType(o.keyName)
	if err != nil || !slices.Contains(initKeys, o.keyName) {
		return usageErrorf("--key %q: want one of %s (the portal accepts these; flamock cert create --non-compliant-for-negative-tests makes others)",
			o.keyName, strings.Join(initKeys, ", "))
	}
	o.key = kt
	if !slices.Contains(adapterLanguages, adapter) {
		return usageErrorf("--adapter %q: want one of %s", adapter, strings.Join(adapterLanguages, ", "))
	}
	o.lang, o.tmpl = adapter, fs_(adapters.Template(adapter))
	if o.tmpl == nil {
		fmt.Fprintf(stderr, "flamock init: no %s adapter template ships with this flamock (templates: %s); writing the bash one\n",
			o.lang, strings.Join(adapters.Languages(), ", "))
		o.lang, o.tmpl = "bash", fs_(adapters.Template("bash"))
		if o.tmpl == nil {
			return fmt.Errorf("no bash adapter template in this build")
		}
	}
	if o.lang == "bash" && kt != certgen.RSA2048 && kt != certgen.RSA3072 && kt != certgen.RSA4096 {
		return usageErrorf("--key %s: the bash adapter signs RS256 only; choose an RSA key, or another --adapter", o.keyName)
	}
	return nil
}

// loadModel loads the profile's API model of the --spec documents (or of
// its own).
func (o *initOptions) loadModel() error {
	var specs []mockfla.Spec
	for _, v := range o.specs {
		sp, err := mockfla.SpecFromFlag(v)
		if err != nil {
			return err
		}
		specs = append(specs, sp)
	}
	api, err := o.profile.Model(specs, stack.Settings{})
	if err != nil {
		return err
	}
	o.api = api
	return nil
}

// checkQuality checks --quality against the profile's qualities; the
// default is its demo client's.
func (o *initOptions) checkQuality(q string) (string, error) {
	if q == "" && o.api.Demo != nil && len(o.api.Demo.Clients) > 0 {
		q = o.api.Demo.Clients[0].Quality
	}
	if q == "" {
		q = "client"
	}
	if o.api.Qualities == nil {
		return q, nil
	}
	if _, ok := o.api.Qualities[q]; !ok {
		return "", usageErrorf("--quality %q: want %s", q, orList(slices.Sorted(maps.Keys(o.api.Qualities))))
	}
	return q, nil
}

// orList writes a, b or c.
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// names fills in the client id and the certificate's common name.
func (o *initOptions) names() error {
	name := strings.ToLower(filepath.Base(filepath.Clean(o.dir)))
	if o.clientID == "" {
		letters := regexp.MustCompile(`[^a-z0-9]`).ReplaceAllString(name, "")
		if letters == "" {
			letters = "client"
		}
		o.clientID = fmt.Sprintf("self_service_chaman_%s_%s", o.enterprise[1:7], letters[:min(10, len(letters))])
	}
	if !clientIDRE.MatchString(o.clientID) {
		return usageErrorf("--client-id %q: want self_service_chaman_ + 6 digits + _ + 1 to 10 lower-case letters or digits", o.clientID)
	}
	if o.cn == "" {
		o.cn = filepath.Base(filepath.Clean(o.dir)) + " test client"
	}
	return nil
}

// initCert is the client's certificate and the files it was written to.
type initCert struct {
	cert  *x509.Certificate
	files certgen.Files
}

// writeCertificate makes the client's certificate and key under certs/.
func (o *initOptions) writeCertificate() (initCert, error) {
	digest := certgen.SHA256
	switch o.key {
	case certgen.P384:
		digest = certgen.SHA384
	case certgen.P521:
		digest = certgen.SHA512
	}
	b, err := certgen.Create(certgen.Request{Key: o.key, Digest: digest, CommonName: o.cn, EnterpriseNumber: o.enterprise})
	if err != nil {
		return initCert{}, err
	}
	files, err := b.WriteFiles(filepath.Join(o.dir, "certs", "client"), o.password, certgen.Modern)
	return initCert{cert: b.Cert, files: files}, err
}

// writeAdapter writes the adapter template, as it ships, under adapter/.
func (o *initOptions) writeAdapter() ([]string, error) {
	adapterDir := filepath.Join(o.dir, "adapter")
	var written []string
	err := fs.WalkDir(o.tmpl, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(o.tmpl, p)
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
		written = append(written, path.Join("adapter", p))
		return os.WriteFile(dst, data, mode)
	})
	return written, err
}

func writeTemplate(file string, t *template.Template, v initVars) error {
	var sb strings.Builder
	if err := t.Execute(&sb, v); err != nil {
		return err
	}
	return os.WriteFile(file, []byte(sb.String()), 0o644)
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
