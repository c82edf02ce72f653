package stack

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/store"
)

// AdminPrefix is the path prefix of every admin endpoint: the API mock's
// (/__admin/...), the token endpoint's (/__admin/oauth/...), the profile's
// and Config.AdminHandlers.
const AdminPrefix = mockfla.AdminPrefix

// Config configures a Stack. Profile is required; every other zero value is
// documented.
type Config struct {
	// Profile is the API profile (see package profiles: profiles.Lookup).
	Profile Profile
	// Settings are passed to the profile's Build.
	Settings Settings

	// Specs are the documents to serve. Nil means the profile's own
	// (required when the profile has none, as the generic one).
	Specs []mockfla.Spec

	// OAuth configures the token endpoint. The stack sets its Journal and
	// Logger, and its QualityScopes to the profile's qualities overridden
	// and extended by OAuth.QualityScopes.
	OAuth mockoauth.Config

	// API configures the API mock. The stack sets its Specs, Rules,
	// Verifier, Journal, NoAdmin and Logger.
	API mockfla.Config

	// Journal is the one journal both mocks write. Nil means a new one,
	// which also appends every event to JournalFile when it is set.
	Journal     *journal.Journal
	JournalFile string

	// Store is the backend the mocks keep their state in (package store):
	// resources, the replay cache, revocations, planted faults and the
	// journal, shared by every replica on the same backend. Nil means the
	// embedded store: each mock's own memory, API.StateFile, and Journal
	// or JournalFile. With a Store those three must be empty, and the
	// mocks' own store fields (API.Resources, API.Faults, OAuth.Replay,
	// OAuth.Revocations, OAuth.Faults) are set from it. Close does not
	// close it: whoever opened it does, after the stack.
	Store store.Backend

	// DemoDir is where the demo clients' certificates and keys go when
	// Settings.Demo is set. Empty means a new temporary folder (0700),
	// removed by Close.
	DemoDir string

	// TLSDir is where TLSConfig writes the CA certificate. Empty means the
	// demo folder, else a new temporary folder.
	TLSDir string

	// AdminHandlers are extra handlers of the admin mux, by ServeMux
	// pattern, every one under AdminPrefix: the hook for pages and tools
	// that sit beside the admin API, e.g. an inspector page at
	// "/__admin/ui". A pattern that the mocks already serve is an error.
	// A client's admin credential (see AdminToken) may use only those
	// wrapped in ForClients.
	AdminHandlers map[string]http.Handler

	// AdminToken is the operator's credential for the admin API (every
	// route under AdminPrefix, the extras included): Authorization: Bearer
	// <AdminToken>, or in a browser any user name and it as the Basic
	// password. Empty means the operator needs none (serve the admin API on
	// loopback only). Either way a client's access token from this token
	// endpoint (Bearer, or the Basic password) is a credential too, which
	// acts for that client only: its own faults and journal, tokens for
	// itself; the rest is 403 (see docs/admin-api.md). A credential that is
	// neither is a 401 with the reason.
	AdminToken string

	// Logger receives diagnostics of both mocks. Nil means discard.
	Logger *slog.Logger
}

// Stack is everything flamock serves, assembled once: the journal, the
// token endpoint, the API mock with the profile's rules, the admin mux and
// (on demand) a TLS CA. It is what flamock serve, flamock conform's harness
// and tests run.
//
// Handler serves it all on one listener. A caller that wants the admin API
// on its own listener (and http.Server limits of its choosing) serves
// PublicHandler on one and AdminHandler on the other.
type Stack struct {
	OAuth   *mockoauth.Server
	API     *mockfla.Server
	Journal store.Journal
	// Parts are the profile's parts (specs, qualities, rules, demo).
	Parts *Parts
	// Demo is the demo that was set up (nil unless Settings.Demo and the
	// profile has one).
	Demo *DemoSet

	cfg     Config
	jfile   *os.File
	admin   http.Handler
	public  http.Handler
	handler http.Handler
}

// New builds a Stack and reports every problem of cfg it finds.
func New(cfg Config) (*Stack, error) {
	if cfg.Profile.Build == nil {
		return nil, errors.New("stack: no profile (Config.Profile)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Store != nil {
		cfg.Settings.State = cfg.Store.State()
	}
	parts, err := cfg.Profile.Build(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkStore(); err != nil {
		return nil, err
	}
	s := &Stack{cfg: cfg, Parts: parts}
	if err := s.build(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// build assembles the parts in order: journal, token endpoint, API mock,
// the clients that wait for the documents' scopes, the handlers.
func (s *Stack) build() error {
	if err := s.openJournal(); err != nil {
		return err
	}
	late, err := s.newOAuth()
	if err != nil {
		return err
	}
	if err := s.newAPI(); err != nil {
		return err
	}
	for _, c := range late {
		c.Scopes = append([]string{}, s.API.Scopes()...) // non-nil: no scope at all when the documents name none
		if err := s.OAuth.RegisterClient(c); err != nil {
			return err
		}
	}
	if s.admin, err = s.adminMux(); err != nil {
		return err
	}
	pub := http.NewServeMux()
	for _, p := range s.OAuth.Paths() {
		pub.Handle(p, s.OAuth)
	}
	pub.Handle("/", s.API)
	all := http.NewServeMux()
	all.Handle(AdminPrefix, s.admin)
	all.Handle("/", pub)
	// One router on the hot path (route.go); the muxes answer the rest.
	others := append([]string{AdminPrefix}, s.OAuth.Paths()...)
	s.public = newDirect(s.API, pub, others...)
	s.handler = newDirect(s.API, all, others...)
	return nil
}

// openJournal makes the journal, unless Config.Journal or Config.Store
// gives it.
func (s *Stack) openJournal() error {
	switch {
	case s.cfg.Store != nil:
		s.Journal = s.cfg.Store.Journal()
		return nil
	case s.cfg.Journal != nil:
		s.Journal = s.cfg.Journal
		return nil
	}
	jc := journal.Config{Logger: s.cfg.Logger}
	if s.cfg.JournalFile != "" {
		f, err := os.OpenFile(s.cfg.JournalFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		s.jfile = f
		jc.Writer = f
	}
	s.Journal = journal.New(jc)
	return nil
}

// checkStore refuses embedded-store settings beside a Store.
func (cfg *Config) checkStore() error {
	if cfg.Store == nil {
		return nil
	}
	var errs []error
	for name, set := range map[string]bool{"Journal": cfg.Journal != nil, "JournalFile": cfg.JournalFile != "", "API.StateFile": cfg.API.StateFile != ""} {
		if set {
			errs = append(errs, fmt.Errorf("stack: %s is the embedded store's; with a Store the backend keeps it", name))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// newOAuth builds the token endpoint with the profile's qualities, the
// configured clients and the demo's. It returns the clients that get every
// scope of the documents, registered once those are loaded.
func (s *Stack) newOAuth() (late []mockoauth.Client, err error) {
	oc := s.cfg.OAuth
	oc.Journal, oc.Logger = s.Journal, s.cfg.Logger
	if b := s.cfg.Store; b != nil {
		oc.Replay, oc.Revocations, oc.Faults, oc.State = b.Replay(), b.Revocations(), b.Faults(), b.State()
	}
	qs := maps.Clone(s.Parts.Qualities)
	if qs == nil {
		qs = map[string][]string{}
	}
	maps.Copy(qs, s.cfg.OAuth.QualityScopes)
	oc.QualityScopes = qs
	var now []mockoauth.Client
	for _, c := range oc.Clients {
		if _, known := qs[c.Quality]; known || c.Scopes != nil || !s.Parts.AllScopes {
			now = append(now, c)
		} else {
			c.Scopes = []string{}
			late = append(late, c)
		}
	}
	if s.cfg.Settings.Demo && s.Parts.Demo != nil {
		if s.Demo, err = newDemoSet(s.Parts.Demo, s.cfg.DemoDir); err != nil {
			return nil, err
		}
		for _, c := range s.Demo.OAuthClients {
			if c.Scopes == nil {
				now = append(now, c)
			} else {
				late = append(late, c)
			}
		}
	}
	oc.Clients = now
	s.OAuth, err = mockoauth.New(oc)
	return late, err
}

// newAPI builds the API mock with the documents and the profile's rules.
func (s *Stack) newAPI() error {
	ac := s.cfg.API
	ac.Specs = s.cfg.Specs
	if ac.Specs == nil {
		ac.Specs = s.Parts.Specs
	}
	if len(ac.Specs) == 0 {
		return fmt.Errorf("stack: profile %s serves no document of its own: give one (--spec FILE[@BASEPATH])", s.cfg.Profile.Name)
	}
	if s.Parts.Rules != nil {
		ac.Rules = append(slices.Clone(ac.Rules), s.Parts.Rules)
	}
	ac.Verifier, ac.Journal, ac.NoAdmin, ac.Logger = s.OAuth, s.Journal, true, s.cfg.Logger
	if b := s.cfg.Store; b != nil {
		ac.Resources, ac.Faults = b.Resources(), b.Faults()
	}
	var err error
	s.API, err = mockfla.New(ac)
	return err
}

func (s *Stack) adminMux() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle(mockoauth.AdminPrefix, s.OAuth.AdminHandler())
	mux.Handle(mockfla.AdminPrefix, s.API.AdminHandler())
	var errs []error
	for _, pattern := range slices.Sorted(maps.Keys(s.cfg.AdminHandlers)) {
		method, path, found := strings.Cut(pattern, " ")
		if !found {
			method, path = http.MethodGet, pattern
		}
		if !strings.HasPrefix(path, AdminPrefix) || strings.HasPrefix(path, mockoauth.AdminPrefix) || path == AdminPrefix {
			errs = append(errs, fmt.Errorf("stack: admin handler %q: want a path under %s, outside %s", pattern, AdminPrefix, mockoauth.AdminPrefix))
			continue
		}
		// The API mock's admin mux answers its 404 problem (pattern
		// AdminPrefix) to paths it does not serve; an extra handler may take
		// only those, or it would hide an endpoint of the API mock or of the
		// profile.
		if s.API.AdminServes(method, path) {
			errs = append(errs, fmt.Errorf("stack: admin handler %q: the API mock's admin API already serves %s %s", pattern, method, path))
			continue
		}
		func() {
			defer func() {
				if v := recover(); v != nil {
					errs = append(errs, fmt.Errorf("stack: admin handler %q: %v", pattern, v))
				}
			}()
			mux.Handle(pattern, s.operatorOnly(s.cfg.AdminHandlers[pattern]))
		}()
	}
	return s.guardAdmin(mux), errors.Join(errs...)
}

// Handler serves everything on one listener: the token endpoint, the
// admin API (AdminPrefix) and the mounted documents.
func (s *Stack) Handler() http.Handler { return s.handler }

// PublicHandler serves the token endpoint and the mounted documents, with
// no admin API (paths under AdminPrefix answer the API mock's 404 problem).
func (s *Stack) PublicHandler() http.Handler { return s.public }

// AdminHandler serves the admin API only: the API mock's, the token
// endpoint's, the profile's and Config.AdminHandlers.
func (s *Stack) AdminHandler() http.Handler { return s.admin }

// TokenURL is the token endpoint's URL on a server whose base URL is base
// (scheme://host:port, no trailing slash).
func (s *Stack) TokenURL(base string) string { return base + s.OAuth.TokenPath() }

// Close ends the journal streams, closes the state file and the journal
// file, and removes the demo folder the stack made (not a Config.DemoDir).
// The stack should not be used after.
func (s *Stack) Close() error {
	var errs []error
	if s.API != nil {
		errs = append(errs, s.API.Close())
	}
	if s.jfile != nil {
		errs = append(errs, s.jfile.Close())
	}
	if s.Demo != nil && s.Demo.Temp {
		errs = append(errs, os.RemoveAll(s.Demo.Dir))
	}
	return errors.Join(errs...)
}

// TLSConfig makes a CA and a server certificate for the listening address,
// localhost and the loopback addresses, and writes the CA certificate to
// flamock-ca.pem in Config.TLSDir (else the demo folder, else a new
// temporary folder). It returns that file and a server configuration.
func (s *Stack) TLSConfig(addr *net.TCPAddr) (caFile string, _ *tls.Config, _ error) {
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
	dir := s.cfg.TLSDir
	if dir == "" && s.Demo != nil {
		dir = s.Demo.Dir
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "flamock-tls-"); err != nil {
			return "", nil, err
		}
	}
	caFile = filepath.Join(dir, "flamock-ca.pem")
	if err := os.WriteFile(caFile, (&certgen.Bundle{Cert: ca.Cert}).CertPEM(), 0o644); err != nil {
		return "", nil, err
	}
	return caFile, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}},
	}, nil
}
