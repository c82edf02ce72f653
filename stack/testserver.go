package stack

import (
	"net/http"
	"net/http/httptest"
)

// TB is the part of testing.TB that NewTestServer uses; *testing.T,
// *testing.B and Ginkgo's GinkgoT() satisfy it.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// TestServer is a Stack served on a loopback port, for tests.
type TestServer struct {
	*Stack
	// URL is the base URL of the listener, http://127.0.0.1:port, with no
	// trailing slash.
	URL string

	hs *httptest.Server
}

// NewTestServer builds a Stack for cfg and serves Handler on 127.0.0.1,
// with the API mock's Strict mode forced on, so that any drift between the
// mock's answers and the spec fails the test. It fails the test on a bad
// Config and closes everything when the test ends.
func NewTestServer(t TB, cfg Config) *TestServer {
	t.Helper()
	cfg.API.Strict = true
	st, err := New(cfg)
	if err != nil {
		t.Fatalf("stack.NewTestServer: %v", err)
		return nil
	}
	hs := httptest.NewServer(st.Handler())
	ts := &TestServer{Stack: st, URL: hs.URL, hs: hs}
	t.Cleanup(ts.Close)
	return ts
}

// TokenURL is the token endpoint's URL.
func (ts *TestServer) TokenURL() string { return ts.Stack.TokenURL(ts.URL) }

// Client returns an HTTP client for the server.
func (ts *TestServer) Client() *http.Client { return ts.hs.Client() }

// Close stops the listener and closes the Stack. It may be called more
// than once.
func (ts *TestServer) Close() {
	ts.hs.CloseClientConnections()
	ts.hs.Close()
	_ = ts.Stack.Close()
}
