package mockoauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

// TB is the part of testing.TB that NewTestServer uses; Ginkgo's GinkgoT()
// satisfies it too.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// TestServer is a Server listening on 127.0.0.1, in the httptest style.
type TestServer struct {
	*Server
	// URL is the base URL, "http://127.0.0.1:port", with no trailing slash.
	URL string
	hs  *httptest.Server
}

// NewTestServer starts a Server built from cfg on a loopback port; it is
// closed when the test ends. When cfg.Audience is empty (and
// cfg.Environment is not acc or prod) it is set to the test server's
// TokenURL. The admin API (AdminHandler) is served under
// /__admin/oauth/. A bad cfg fails the test with t.Fatalf.
func NewTestServer(t TB, cfg Config) *TestServer {
	t.Helper()
	return newTestServer(t, cfg, false)
}

// NewTLSTestServer is NewTestServer over HTTPS, with httptest's
// certificate; use Client() to trust it.
func NewTLSTestServer(t TB, cfg Config) *TestServer {
	t.Helper()
	return newTestServer(t, cfg, true)
}

func newTestServer(t TB, cfg Config, tls bool) *TestServer {
	t.Helper()
	// The listener exists before the server starts, so the audience can
	// name its port; the handler is set before Start.
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	if tls {
		base = "https://" + hs.Listener.Addr().String()
	}
	path := cfg.TokenPath
	if path == "" {
		path = DefaultTokenPath
	}
	if cfg.Audience == "" && environmentAudience(cfg.Environment) == "" {
		cfg.Audience = base + path
	}
	srv, err := New(cfg)
	if err != nil {
		hs.Close()
		t.Fatalf("mockoauth.NewTestServer: %v", err)
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle(AdminPrefix, srv.AdminHandler())
	mux.Handle("/", srv)
	hs.Config.Handler = mux
	if tls {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return &TestServer{Server: srv, URL: hs.URL, hs: hs}
}

// TokenURL is the token endpoint's URL, with no trailing slash.
func (ts *TestServer) TokenURL() string { return ts.URL + ts.cfg.TokenPath }

// AdminURL is the admin API's base URL, with no trailing slash.
func (ts *TestServer) AdminURL() string { return ts.URL + strings.TrimSuffix(AdminPrefix, "/") }

// Client returns an HTTP client that trusts the server (for the TLS variant).
func (ts *TestServer) Client() *http.Client { return ts.hs.Client() }

// Close shuts the server down; it is also done at the end of the test.
func (ts *TestServer) Close() { ts.hs.Close() }
