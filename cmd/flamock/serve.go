package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles/fla"
)

// specFlags collects repeatable --spec FILE[@BASEPATH] flags.
type specFlags []string

func (s *specFlags) String() string     { return strings.Join(*s, ",") }
func (s *specFlags) Set(v string) error { *s = append(*s, v); return nil }

const serveDescription = `Run the mock Social Security OAuth v5 token endpoint and the spec-driven mock of the
FLA API on one address. With no flags it is a complete demo: three demo clients (an
employer, a social secretariat mandated by it, a training provider) get fresh
certificates and keys in a folder it prints, with ready-to-paste commands for a first call.
With --config FILE it serves the clients, mandates and limits of a YAML file (see
testdata/flamock.yaml). Flags override the file. It stops cleanly on SIGINT or SIGTERM.`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock serve", "flamock serve [--config FILE] [flags]", serveDescription)
	configFile := fs.String("config", "", "YAML configuration (clients, mandates, OAuth limits, specs, files)")
	addr := fs.String("addr", "", "listen address (default 127.0.0.1:8080; :0 picks a free port and prints it)")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a certificate from a generated CA, written to a file it prints")
	var specs specFlags
	fs.Var(&specs, "spec", "OpenAPI document to serve, FILE or FILE@BASEPATH (repeatable; default: the embedded FLA documents)")
	state := fs.String("state", "", "file that makes the store durable across restarts (default: in memory)")
	journalFile := fs.String("journal", "", "append every token request and API call to this file as JSON lines")
	strict := fs.Bool("strict", false, "validate every response against the spec (drift answers 500 and is logged)")
	demoDir := fs.String("demo-dir", "", "folder for the demo clients' certificates and keys (default: a new temporary folder)")
	verbose := fs.Bool("v", false, "log every request on stderr")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	fc := &fileConfig{}
	if *configFile != "" {
		var err error
		if fc, err = loadConfig(*configFile); err != nil {
			return err
		}
	}
	// Flags given on the command line override the file.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			fc.Addr = *addr
		case "tls":
			fc.TLS = *useTLS
		case "state":
			fc.State = *state
		case "journal":
			fc.Journal = *journalFile
		case "strict":
			fc.Strict = *strict
		}
	})
	if fc.Addr == "" {
		fc.Addr = "127.0.0.1:8080"
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	journalExisted := fileExists(fc.path(fc.Journal))

	srv, err := newServeSetup(fc, specs, *configFile == "", *demoDir, logger)
	if err != nil {
		removeIfNewAndEmpty(fc.path(fc.Journal), journalExisted)
		return withConfigHint(err, *configFile)
	}
	defer srv.close()

	ln, err := net.Listen("tcp", fc.Addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if fc.TLS {
		caFile, tlsCfg, err := srv.tlsConfig(ln.Addr().(*net.TCPAddr))
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, tlsCfg)
		scheme = "https"
		srv.caFile = caFile
	}
	base := scheme + "://" + ln.Addr().String()
	hs := &http.Server{
		Handler:           srv.handler(logger, *verbose),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	srv.printBanner(stdout, base)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "flamock serve: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serveSetup is everything `flamock serve` wires together.
type serveSetup struct {
	oauth   *mockoauth.Server
	fla     *mockfla.Server
	journal *journal.Journal
	jfile   *os.File
	demo    *demoSet // nil with --config
	fc      *fileConfig
	caFile  string
	tlsDir  string // where the CA is written
	started time.Time
	mounts  []mockfla.Spec // what is served where, for the banner
}

func newServeSetup(fc *fileConfig, specFlagValues []string, demo bool, demoDir string, logger *slog.Logger) (*serveSetup, error) {
	s := &serveSetup{fc: fc}
	jcfg := journal.Config{}
	if fc.Journal != "" {
		f, err := os.OpenFile(fc.path(fc.Journal), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		s.jfile = f
		jcfg.Writer = f
	}
	s.journal = journal.New(jcfg)

	oc := mockoauth.Config{
		TokenPath:            fc.OAuth.TokenPath,
		Audience:             fc.OAuth.Audience,
		Algorithms:           fc.OAuth.Algorithms,
		QualityScopes:        qualityScopes(fla.Qualities(), fc.OAuth.QualityScopes),
		TokenTTL:             time.Duration(fc.OAuth.TokenLifetime),
		MaxAssertionLifetime: time.Duration(fc.OAuth.MaxAssertionLifetime),
		ClockSkew:            time.Duration(fc.OAuth.ClockSkew),
		InvalidClientStatus:  fc.OAuth.InvalidClientStatus,
		Journal:              s.journal,
		Logger:               logger,
	}
	var mandates []fla.Mandate
	if demo {
		d, err := newDemoSet(demoDir)
		if err != nil {
			s.close()
			return nil, err
		}
		s.demo = d
		oc.Clients = d.clients
		mandates = d.mandates
	} else {
		var errs []error
		for i, c := range fc.Clients {
			cl := mockoauth.Client{ID: c.ID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber, Scopes: c.Scopes, Disabled: c.Disabled}
			for _, file := range c.Certificates {
				l, err := certgen.LoadFile(fc.path(file), c.Password)
				if err != nil {
					errs = append(errs, fmt.Errorf("clients[%d] (%s): %w", i, c.ID, err))
					continue
				}
				if len(l.Certs) == 0 {
					errs = append(errs, fmt.Errorf("clients[%d] (%s): %s holds no certificate", i, c.ID, file))
					continue
				}
				cl.Certificates = append(cl.Certificates, l.Leaf())
			}
			oc.Clients = append(oc.Clients, cl)
		}
		for _, m := range fc.Mandates {
			mandates = append(mandates, fla.Mandate{Provider: m.Provider, Employer: m.Employer, From: m.From.Time, Until: m.Until.Time})
		}
		if err := errors.Join(errs...); err != nil {
			s.close()
			return nil, err
		}
	}
	oauth, err := mockoauth.New(oc)
	if err != nil {
		s.close()
		return nil, err
	}
	s.oauth = oauth

	var specs []mockfla.Spec
	for _, sp := range fc.Specs {
		data, err := os.ReadFile(fc.path(sp.File))
		if err != nil {
			s.close()
			return nil, fmt.Errorf("spec: %w", err)
		}
		specs = append(specs, mockfla.Spec{Name: sp.File, Data: data, BasePath: sp.BasePath, Profile: sp.Profile})
	}
	for _, v := range specFlagValues {
		sp, err := mockfla.SpecFromFlag(v)
		if err != nil {
			s.close()
			return nil, err
		}
		specs = append(specs, sp)
	}
	if specs == nil {
		specs = fla.Specs()
	}
	profile, err := fla.New(fla.Options{Mandates: mandates, ServiceYears: fla.Years{First: fc.ServiceYears.First, Last: fc.ServiceYears.Last}})
	if err != nil {
		s.close()
		return nil, err
	}
	api, err := mockfla.New(mockfla.Config{
		Specs:     specs,
		Rules:     []*mockfla.Rules{profile.Rules()},
		Verifier:  oauth,
		Journal:   s.journal,
		Strict:    fc.Strict,
		StateFile: fc.path(fc.State),
		NoAdmin:   true,
		Logger:    logger,
	})
	if err != nil {
		s.close()
		return nil, err
	}
	s.fla = api
	return s, nil
}

// handler routes the token endpoint, both admin APIs and the mocked APIs.
func (s *serveSetup) handler(logger *slog.Logger, verbose bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(s.oauth.TokenPath(), s.oauth)
	mux.Handle(mockoauth.AdminPrefix, s.oauth.AdminHandler())
	mux.Handle(mockfla.AdminPrefix, s.fla.AdminHandler())
	mux.Handle("/", s.fla)
	if !verbose {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mux.ServeHTTP(w, r)
		logger.Debug("request", "method", r.Method, "path", r.URL.Path, "duration", time.Since(start))
	})
}

func (s *serveSetup) close() {
	if s.fla != nil {
		s.fla.Close()
	}
	if s.jfile != nil {
		s.jfile.Close()
	}
	if s.demo != nil && s.demo.temp {
		os.RemoveAll(s.demo.dir)
	}
}

// tlsConfig makes a CA and a server certificate for the listening address
// and localhost, and writes the CA certificate where serve prints it.
func (s *serveSetup) tlsConfig(addr *net.TCPAddr) (string, *tls.Config, error) {
	ca, err := certgen.NewCA("flamock serve CA", 0)
	if err != nil {
		return "", nil, err
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if ip := addr.IP; ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		hosts = append(hosts, ip.String())
	}
	leaf, err := ca.IssueServer(hosts...)
	if err != nil {
		return "", nil, err
	}
	dir := s.fc.dir
	if s.demo != nil {
		dir = s.demo.dir
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "flamock-tls-"); err != nil {
			return "", nil, err
		}
	}
	caFile := filepath.Join(dir, "flamock-ca.pem")
	if err := os.WriteFile(caFile, (&certgen.Bundle{Cert: ca.Cert}).CertPEM(), 0o644); err != nil {
		return "", nil, err
	}
	return caFile, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}},
	}, nil
}

func (s *serveSetup) printBanner(w io.Writer, base string) {
	tokenURL := base + s.oauth.TokenPath()
	fmt.Fprintf(w, "flamock serve: listening on %s\n\n", base)
	fmt.Fprintf(w, "token URL      %s\n", tokenURL)
	for _, m := range s.fla.Mounts() {
		fmt.Fprintf(w, "API            %s%s  (%s, %d operations)\n", base, strings.TrimSuffix(m.BasePath, "/"), m.Name, m.Operations)
	}
	fmt.Fprintf(w, "admin          %s/__admin/  (journal, faults, state, health)  %s/__admin/oauth/  (token knobs)\n", base, base)
	fmt.Fprintf(w, "ready          %s/__admin/ready\n", base)
	if s.caFile != "" {
		fmt.Fprintf(w, "TLS CA         %s  (trust it: curl --cacert, flamock token --ca)\n", s.caFile)
	}
	if s.fc.State != "" {
		fmt.Fprintf(w, "state          %s (durable)\n", s.fc.path(s.fc.State))
	} else {
		fmt.Fprintf(w, "state          in memory\n")
	}
	if s.fc.Journal != "" {
		fmt.Fprintf(w, "journal        %s\n", s.fc.path(s.fc.Journal))
	}
	if s.demo != nil {
		servesFLA := false
		for _, m := range s.fla.Mounts() {
			servesFLA = servesFLA || m.BasePath == fla.EmployerBasePath+"/"
		}
		s.demo.printBanner(w, base, tokenURL, s.caFile, servesFLA)
	}
	fmt.Fprintln(w, "\nCtrl-C stops it.")
}

// demoSet is the three demo clients of `flamock serve` without --config.
type demoSet struct {
	dir      string
	temp     bool // dir was made here (no --demo-dir): removed on exit
	clients  []mockoauth.Client
	mandates []fla.Mandate
	keys     map[string]string // client id -> PKCS#12 file
	body     string            // a spec-valid trainings body file
}

const demoPassword = "changeit"

// The demo uses the seed's Postman example: employer 880820673, calendar
// year 2023 (seed §7.3.1), with employee 65111899801 (see fla.DemoClients).
var demoClients = fla.DemoClients()

func newDemoSet(dir string) (*demoSet, error) {
	var err error
	temp := dir == ""
	if temp {
		if dir, err = os.MkdirTemp("", "flamock-demo-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &demoSet{dir: dir, temp: temp, keys: map[string]string{}}
	for _, c := range demoClients {
		b, err := certgen.Create(certgen.Request{Key: c.Key, Digest: c.Digest, CommonName: "flamock demo " + c.Name,
			Organization: "flamock demo", EnterpriseNumber: c.EnterpriseNumber})
		if err != nil {
			return nil, err
		}
		files, err := b.WriteFiles(filepath.Join(dir, c.Name), demoPassword, certgen.Modern)
		if err != nil {
			return nil, err
		}
		d.keys[c.ClientID] = files.P12
		d.clients = append(d.clients, mockoauth.Client{ID: c.ClientID, Quality: c.Quality, EnterpriseNumber: c.EnterpriseNumber,
			Certificates: []*x509.Certificate{b.Cert}})
	}
	d.mandates = fla.DemoMandates()
	body, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		return nil, err
	}
	d.body = filepath.Join(dir, "trainings-2023.json")
	if err := os.WriteFile(d.body, body, 0o644); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *demoSet) printBanner(w io.Writer, base, tokenURL, caFile string, servesFLA bool) {
	fmt.Fprintf(w, "\nDemo clients (certificates and keys in %s; PKCS#12 password %q):\n", d.dir, demoPassword)
	for i, c := range demoClients {
		note := ""
		if i == 1 {
			note = "  mandated by " + demoClients[0].EnterpriseNumber
		}
		fmt.Fprintf(w, "  %-16s %s  enterprise %s  key %s%s\n", c.Quality, c.ClientID, c.EnterpriseNumber, d.keys[c.ClientID], note)
	}
	tls := ""
	curlTLS := ""
	if caFile != "" {
		tls = " --ca " + caFile
		curlTLS = " --cacert " + caFile
	}
	emp := demoClients[0]
	if !servesFLA {
		fmt.Fprintf(w, "\nA token for the demo employer:\n  go run ./cmd/flamock token --token-url %s --client-id %s --key %s --password %s%s\n",
			tokenURL, emp.ClientID, d.keys[emp.ClientID], demoPassword, tls)
		return
	}
	fmt.Fprintf(w, "\nA first call, as the employer (the seed's Postman example, §7.3.1):\n")
	fmt.Fprintf(w, "  TOKEN=$(go run ./cmd/flamock token --token-url %s --client-id %s --key %s --password %s%s)\n",
		tokenURL, emp.ClientID, d.keys[emp.ClientID], demoPassword, tls)
	fmt.Fprintf(w, "  curl%s -X PUT -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    --data @%s \\\n    %s%s/employers/880820673/employees/65111899801/calendarYears/2023/trainings\n",
		curlTLS, d.body, base, fla.EmployerBasePath)
	fmt.Fprintf(w, "  curl%s -H \"Authorization: Bearer $TOKEN\" %s%s/employers/880820673/employees/65111899801/calendarYears/2023/trainings\n",
		curlTLS, base, fla.EmployerBasePath)
	fmt.Fprintf(w, "  curl%s %s/__admin/journal\n", curlTLS, base)
}

// qualityScopes is the profile's qualities with the config file's
// overrides and additions.
func qualityScopes(profile, file map[string][]string) map[string][]string {
	for q, s := range file {
		profile[q] = s
	}
	return profile
}
