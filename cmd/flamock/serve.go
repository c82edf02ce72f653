package main

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
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
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/stack"
	"github.com/flamock/flamock/store"
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
	o, err := parseServeFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	fc := o.fc
	logger := serveLogger(stderr, o.verbose)
	journalExisted := fileExists(fc.path(fc.Journal))
	srv, err := newServeSetup(fc, o.specs, o.profile, o.configFile == "", o.demoDir, logger)
	if err != nil {
		removeIfNewAndEmpty(fc.path(fc.Journal), journalExisted)
		return withConfigHint(err, o.configFile)
	}
	defer srv.Close()

	ls, err := listenAPI(srv, fc)
	if err != nil {
		return err
	}
	if err := ls.listenAdmin(srv, fc, stderr); err != nil {
		ls.api.Close()
		return err
	}
	limits := fc.connLimits()
	servers, listeners, tlsCfgs := ls.servers(srv, limits, logger)
	srv.printBanner(stdout, ls.api.Addr(), ls.base, ls.adminBase, fc)
	stopReport := reportRequests(stderr, srv.Journal, reportMode(o.quiet, o.verbose), srv.OAuth.TokenPath())
	defer stopReport()
	tuneGC(ctx) // gc.go: without GOGC or GOMEMLIMIT, the heap may grow 64 MiB past the live heap
	return serveUntil(ctx, stderr, servers, capListeners(limits.MaxConnections, listeners, tlsCfgs))
}

// serveLogger logs warnings to stderr, everything with -v.
func serveLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// serveListeners are where serve answers: the API (token endpoint
// included) and, apart when --admin-addr asks, the admin API. TLS is
// served by capListeners, below the connection cap.
type serveListeners struct {
	api, admin       net.Listener // admin nil: the admin API is on api
	apiTLS, adminTLS *tls.Config  // nil: plain HTTP
	scheme           string
	base, adminBase  string // the URLs the banner shows
}

// listenAPI listens on fc.Addr, with the generated CA's certificate under
// --tls (its file noted for the banner).
func listenAPI(srv *serveSetup, fc *fileConfig) (*serveListeners, error) {
	ln, err := net.Listen("tcp", fc.Addr)
	if err != nil {
		return nil, err
	}
	ls := &serveListeners{api: ln, scheme: "http"}
	if fc.TLS {
		caFile, tlsCfg, err := srv.TLSConfig(ln.Addr().(*net.TCPAddr))
		if err != nil {
			ln.Close()
			return nil, err
		}
		ls.apiTLS, ls.scheme, srv.caFile = tlsCfg, "https", caFile
	}
	ls.base = displayURL(ls.scheme, ln.Addr())
	ls.adminBase = ls.base
	return ls, nil
}

// listenAdmin places the admin API. It needs no credentials: it stays on
// loopback unless a token guards it (the stack checks it:
// Config.AdminToken); an API on another address is warned about, and the
// admin API then answers apart (adminPlacement). On error, the admin
// listener is closed; the API's is the caller's.
func (ls *serveListeners) listenAdmin(srv *serveSetup, fc *fileConfig, stderr io.Writer) error {
	var exposed bool
	fc.AdminAddr, exposed = adminPlacement(ls.api.Addr(), fc.AdminAddr, fc.AdminToken)
	if exposed {
		fmt.Fprintf(stderr, "flamock serve: WARNING: %s is not a loopback address: the token endpoint and the API are reachable from the network (a test tool: its clients, keys and tokens are not secrets)\n", ls.api.Addr())
	}
	if fc.AdminAddr == "" {
		return nil
	}
	adminLn, err := net.Listen("tcp", fc.AdminAddr)
	if err != nil {
		return fmt.Errorf("--admin-addr: %w", err)
	}
	if !isLoopback(adminLn.Addr()) && fc.AdminToken == "" {
		adminLn.Close()
		return usageErrorf("--admin-addr %s is not a loopback address: set --admin-token so that the admin API requires it", fc.AdminAddr)
	}
	if fc.TLS {
		_, tlsCfg, err := srv.TLSConfig(adminLn.Addr().(*net.TCPAddr))
		if err != nil {
			adminLn.Close()
			return err
		}
		ls.adminTLS = tlsCfg
	}
	ls.admin = adminLn
	ls.adminBase = displayURL(ls.scheme, adminLn.Addr())
	if exposed {
		fmt.Fprintf(stderr, "flamock serve: the admin API is served apart, on %s only\n", ls.adminBase)
	}
	return nil
}

// servers are the HTTP servers of the listeners, in the same order: the
// whole stack on the API's, or its public part there and the admin API on
// its own.
func (ls *serveListeners) servers(srv *serveSetup, limits connLimits, logger *slog.Logger) ([]*http.Server, []net.Listener, []*tls.Config) {
	handler := srv.Handler()
	if ls.admin != nil {
		handler = srv.PublicHandler()
	}
	servers := []*http.Server{newHTTPServer(handler, limits, logger)}
	listeners, tlsCfgs := []net.Listener{ls.api}, []*tls.Config{ls.apiTLS}
	if ls.admin != nil {
		servers = append(servers, newHTTPServer(srv.AdminHandler(), limits, logger))
		listeners, tlsCfgs = append(listeners, ls.admin), append(tlsCfgs, ls.adminTLS)
	}
	return servers, listeners, tlsCfgs
}

// serveOptions are serve's flags, with the config file they name folded in
// (flags given on the command line override the file).
type serveOptions struct {
	fc                  *fileConfig
	configFile, profile string
	demoDir             string
	specs               specFlags
	verbose, quiet      bool
}

func parseServeFlags(args []string, stdout, stderr io.Writer) (*serveOptions, error) {
	fs := newFlagSet("flamock serve", "flamock serve [--config FILE] [flags]", serveDescription)
	configFile := fs.String("config", "", "YAML configuration (clients, mandates, OAuth limits, specs, files)")
	addr := fs.String("addr", "", "listen address (default 127.0.0.1:8080; :0 picks a free port and prints it)")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a certificate from a generated CA, written to a file it prints")
	var specs specFlags
	fs.Var(&specs, "spec", "OpenAPI document to serve, FILE or FILE@BASEPATH (repeatable; default: the profile's documents; without --profile it selects the generic profile)")
	profileName := fs.String("profile", "", "API profile: "+profileNames()+" (default "+profiles.Default+", or generic with --spec; flamock profiles lists them)")
	state := fs.String("state", "", "file that makes the store durable across restarts (default: in memory)")
	storeURL := fs.String("store", "", "keep the state in a database shared by replicas: postgres://user@host/db (password in PGPASSWORD); excludes --state and --journal")
	journalFile := fs.String("journal", "", "append every token request and API call to this file as JSON lines")
	strict := fs.Bool("strict", false, "validate every response against the spec (drift answers 500 and is logged)")
	requireToken := fs.Bool("require-token", false, "a spec that declares an OAuth scheme but requires it nowhere (no security: requirement) still requires a valid token on every operation")
	demoDir := fs.String("demo-dir", "", "folder for the demo clients' certificates and keys (default: a new temporary folder)")
	verbose := fs.Bool("v", false, "also print a line per accepted token request and API call on stderr")
	quiet := fs.Bool("q", false, "print no line per refused token request or API call on stderr")
	adminAddr := fs.String("admin-addr", "", "serve the admin API (/__admin/) on this address only, apart from the API (default: with the API on a loopback address; on 127.0.0.1:0 when --addr is not loopback)")
	adminToken := fs.String("admin-token", "", "require Authorization: Bearer <this token> on the admin API (then it may be served on a non-loopback address); default $"+adminTokenEnv)
	environment := fs.String("environment", "", "OAuth environment the token endpoint plays: local (aud is its own token URL; the default), acc or prod (aud is that portal environment's token URL)")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return nil, err
	}
	fc := &fileConfig{}
	if *configFile != "" {
		var err error
		if fc, err = loadConfig(*configFile, chooseProfile(*profileName, len(specs) > 0)); err != nil {
			return nil, err
		}
	}
	// Flags given on the command line override the file.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			fc.Addr = *addr
		case "tls":
			fc.TLS = *useTLS
		case "state": // a flag's path is relative to the working directory, not to the config file
			fc.State = absPath(*state)
		case "store":
			fc.Store = *storeURL
		case "journal":
			fc.Journal = absPath(*journalFile)
		case "admin-addr":
			fc.AdminAddr = *adminAddr
		case "admin-token":
			fc.AdminToken = *adminToken
		case "strict":
			fc.Strict = *strict
		case "require-token":
			fc.RequireToken = *requireToken
		case "environment":
			fc.OAuth.Environment = *environment
		}
	})
	if fc.AdminToken == "" { // a container's CI service cannot pass flags, only environment
		fc.AdminToken = os.Getenv(adminTokenEnv)
	}
	if fc.OAuth.Audience == "" {
		fc.OAuth.Audience = os.Getenv(audienceEnv)
	}
	if fc.Addr == "" {
		fc.Addr = "127.0.0.1:8080"
	}
	return &serveOptions{fc: fc, configFile: *configFile, profile: *profileName, demoDir: *demoDir, specs: specs, verbose: *verbose, quiet: *quiet}, nil
}

// serveUntil serves each listener with its server until one fails or ctx
// ends, then shuts them all down.
func serveUntil(ctx context.Context, stderr io.Writer, servers []*http.Server, listeners []net.Listener) error {
	errc := make(chan error, len(servers))
	for i, hs := range servers {
		go func() { errc <- hs.Serve(listeners[i]) }()
	}
	select {
	case err := <-errc:
		for _, hs := range servers {
			hs.Close()
		}
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "flamock serve: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, hs := range servers {
		if err := hs.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	return errors.Join(errs...)
}

// absPath makes a flag's relative path absolute against the working
// directory, so that a config file's folder does not change its meaning.
func absPath(p string) string {
	if p == "" {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// serveSetup is the stack `flamock serve` runs, and what its banner says.
type serveSetup struct {
	*stack.Stack
	shared store.Backend // --store: closed after the stack
	caFile string
	notes  []string // printed under the banner: what serve could not do, and what it means
}

// newServeSetup picks the profile (--profile; else generic with --spec;
// else the default) and assembles the stack from the file and flags.
func newServeSetup(fc *fileConfig, specFlagValues []string, profileName string, demo bool, demoDir string, logger *slog.Logger) (*serveSetup, error) {
	profile, err := chooseProfile(profileName, len(specFlagValues) > 0)(fc.Profile)
	if err != nil {
		return nil, err
	}
	var keys any // the profile's own keys, as the file was checked for them
	if fc.profile.Name == profile.Name {
		keys = fc.keys
	}
	oc := mockoauth.Config{
		TokenPath:            fc.OAuth.TokenPath,
		Audience:             fc.OAuth.Audience,
		Algorithms:           fc.OAuth.Algorithms,
		QualityScopes:        fc.OAuth.QualityScopes,
		TokenTTL:             time.Duration(fc.OAuth.TokenLifetime),
		MaxAssertionLifetime: time.Duration(fc.OAuth.MaxAssertionLifetime),
		ClockSkew:            time.Duration(fc.OAuth.ClockSkew),
		InvalidClientStatus:  fc.OAuth.InvalidClientStatus,
		AccessTokens:         fc.OAuth.AccessTokens,
		Environment:          fc.OAuth.Environment,
	}
	if fc.OAuth.SigningKey != "" {
		key, err := loadSigningKey(fc.path(fc.OAuth.SigningKey), fc.OAuth.SigningKeyPassword)
		if err != nil {
			return nil, err
		}
		oc.SigningKey = key
	}
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
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	specs, err := fc.specs(specFlagValues)
	if err != nil {
		return nil, err
	}
	shared, err := openServeStore(fc, &oc, logger)
	if err != nil {
		return nil, err
	}
	signer := newAssertionSigner()
	st, err := stack.New(stack.Config{
		Store:       shared,
		Profile:     profile,
		Settings:    stack.Settings{Demo: demo, Config: keys},
		Specs:       specs,
		OAuth:       oc,
		API:         mockfla.Config{Strict: fc.Strict, RequireToken: fc.RequireToken, StateFile: fc.path(fc.State)},
		JournalFile: fc.path(fc.Journal),
		DemoDir:     demoDir,
		TLSDir:      fc.dir,
		Logger:      logger,
		AdminToken:  fc.AdminToken,
		// The inspector page at /__admin/ui (/__admin/ redirects to it) and
		// the assertion signer for Postman.
		AdminHandlers: adminHandlers(signer),
	})
	if ure := (*mockfla.UnknownRulesError)(nil); errors.As(err, &ure) {
		err = fmt.Errorf("%w\nserving under profile %s: a document that names another profile's rules is served with --profile NAME (flamock profiles)", err, profile.Name)
	}
	if err == nil {
		err = signer.load(st, fc)
	}
	if err != nil {
		if st != nil {
			st.Close()
		}
		if shared != nil {
			shared.Close()
		}
		return nil, err
	}
	return &serveSetup{Stack: st, shared: shared, notes: signer.skipped}, nil
}

func (s *serveSetup) printBanner(w io.Writer, listening net.Addr, base, adminBase string, fc *fileConfig) {
	tokenURL := s.TokenURL(base)
	if tcp, ok := listening.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		fmt.Fprintf(w, "flamock serve: listening on %s (every interface), reached from this machine at %s\n\n", listening, base)
	} else {
		fmt.Fprintf(w, "flamock serve: listening on %s\n\n", base)
	}
	fmt.Fprintf(w, "token URL      %s\n", tokenURL)
	fmt.Fprintf(w, "JWKS           %s%s  (public keys of the JWT access tokens)\n", base, s.OAuth.JWKSPath())
	if env := s.OAuth.Config().Environment; env != "" && env != mockoauth.EnvironmentLocal {
		fmt.Fprintf(w, "audience       %s  (environment %s: the aud of client assertions)\n", s.OAuth.Config().Audience, env)
	}
	for _, m := range s.API.Mounts() {
		fmt.Fprintf(w, "API            %s%s  (%s, %d operations)\n", base, strings.TrimSuffix(m.BasePath, "/"), m.Name, m.Operations)
	}
	guard := ""
	if fc.AdminToken != "" {
		guard = "  (requires Authorization: Bearer <admin token>)"
	}
	fmt.Fprintf(w, "inspector      %s/__admin/ui  (every request live, and why it was refused)%s\n", adminBase, guard)
	fmt.Fprintf(w, "admin          %s/__admin/health  (and journal, faults, state, oauth/clients: docs/admin-api.md)%s\n", adminBase, guard)
	fmt.Fprintf(w, "ready          %s/__admin/ready\n", adminBase)
	if s.caFile != "" {
		fmt.Fprintf(w, "TLS CA         %s  (trust it: curl --cacert, flamock token --ca)\n", s.caFile)
	}
	fmt.Fprintf(w, "connections    at most %d at once; more are answered 503 with Retry-After (limits.maxConnections)\n", fc.connLimits().MaxConnections)
	if fc.Store != "" {
		fmt.Fprintf(w, "store          %s (shared by every replica on it)\n", redactURL(fc.Store))
	}
	if fc.State != "" {
		fmt.Fprintf(w, "state          %s (durable)\n", fc.path(fc.State))
	} else if fc.Store == "" {
		fmt.Fprintf(w, "state          in memory\n")
	}
	if fc.Journal != "" {
		fmt.Fprintf(w, "journal        %s\n", fc.path(fc.Journal))
	}
	for _, n := range s.notes {
		fmt.Fprintf(w, "note           %s\n", n)
	}
	if s.Demo != nil {
		s.printDemo(w, base, adminBase, tokenURL, fc.AdminToken != "")
	}
	fmt.Fprintln(w, "\nCtrl-C stops it.")
}

// printDemo prints the demo clients and, when the documents it calls are
// served, the profile's first calls.
func (s *serveSetup) printDemo(w io.Writer, base, adminBase, tokenURL string, guarded bool) {
	d := s.Demo
	fmt.Fprintf(w, "\nDemo clients (certificates and keys in %s; PKCS#12 password %q):\n", d.Dir, stack.DemoPassword)
	for _, c := range d.Clients {
		note := ""
		if c.Note != "" {
			note = "  " + c.Note
		}
		fmt.Fprintf(w, "  %-16s %s  enterprise %s  key %s%s\n", c.Quality, c.ID, c.EnterpriseNumber, d.Keys[c.ID], note)
	}
	tls, curlTLS := "", ""
	if s.caFile != "" {
		tls = " --ca " + s.caFile
		curlTLS = " --cacert " + s.caFile
	}
	first := d.Clients[0]
	if env := s.OAuth.Config().Environment; env != "" && env != mockoauth.EnvironmentLocal {
		tls += " --environment " + env
	}
	token := fmt.Sprintf(selfCommand()+" token --token-url %s --client-id %s --key %s --password %s%s",
		tokenURL, first.ID, d.Keys[first.ID], stack.DemoPassword, tls)
	if len(d.Calls) == 0 || !s.serves(d.Calls[0].Path) {
		fmt.Fprintf(w, "\nA token for the demo %s:\n  %s\n", first.Name, token)
		return
	}
	fmt.Fprintf(w, "\n%s\n", d.Intro)
	fmt.Fprintf(w, "  TOKEN=$(%s)\n", token)
	for _, c := range d.Calls {
		if c.Body {
			fmt.Fprintf(w, "  curl%s -X %s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    --data @%s \\\n    %s%s\n",
				curlTLS, c.Method, d.BodyPath, base, c.Path)
			continue
		}
		method := ""
		if c.Method != http.MethodGet {
			method = " -X " + c.Method
		}
		fmt.Fprintf(w, "  curl%s%s -H \"Authorization: Bearer $TOKEN\" %s%s\n", curlTLS, method, base, c.Path)
	}
	if guarded {
		curlTLS += ` -H "Authorization: Bearer $FLAMOCK_ADMIN_TOKEN"`
	}
	fmt.Fprintf(w, "  curl%s %s/__admin/journal\n", curlTLS, adminBase)
}

// serves reports whether a mounted document's base path holds path.
func (s *serveSetup) serves(path string) bool {
	for _, m := range s.API.Mounts() {
		if strings.HasPrefix(path, m.BasePath) {
			return true
		}
	}
	return false
}

// profileNames lists the profiles for the help text.
func profileNames() string {
	var names []string
	for _, p := range profiles.All() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// loadSigningKey reads the RSA key that signs JWT access tokens (PEM or
// PKCS#12, as certgen loads them).
func loadSigningKey(file, password string) (*rsa.PrivateKey, error) {
	l, err := certgen.LoadFile(file, password)
	if err != nil {
		return nil, fmt.Errorf("oauth.signingKey: %w", err)
	}
	k, ok := l.Key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("oauth.signingKey: %s holds no RSA private key (JWT access tokens are signed RS256)", file)
	}
	return k, nil
}
