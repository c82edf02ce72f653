package mockfla

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

// TestServer is a Server listening on a loopback port, for tests.
type TestServer struct {
	*Server
	// URL is the base URL of the listener, http://127.0.0.1:port, with no
	// trailing slash.
	URL string

	hs *httptest.Server
}

// NewTestServer starts a Server for cfg on 127.0.0.1 with Strict forced on,
// so that any drift between the mock's answers and the spec fails the test
// (the answer becomes a 500 problem). It fails the test on a bad Config and
// closes the server when the test ends.
func NewTestServer(t TB, cfg Config) *TestServer {
	t.Helper()
	cfg.Strict = true
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("mockfla.NewTestServer: %v", err)
		return nil
	}
	hs := httptest.NewServer(srv)
	ts := &TestServer{Server: srv, URL: hs.URL, hs: hs}
	t.Cleanup(ts.Close)
	return ts
}

// Client returns an HTTP client for the server.
func (ts *TestServer) Client() *http.Client { return ts.hs.Client() }

// Close ends the journal streams, stops the listener and closes the Server.
// It may be called more than once.
func (ts *TestServer) Close() {
	ts.endStreams()
	ts.hs.Close()
	_ = ts.Server.Close()
}
