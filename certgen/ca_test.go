package certgen

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCA_ServerCertificateVerifies(t *testing.T) {
	ca, err := NewCA("flamock test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueServer("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key}}}
	srv.StartTLS()
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := trusting.Get(srv.URL)
	if err != nil {
		t.Fatalf("a client trusting the CA failed: %v", err)
	}
	resp.Body.Close()
	// A client that does not trust the CA must fail: that is what the
	// conformance suite's TLS scenario relies on.
	if _, err := (&http.Client{}).Get(srv.URL); err == nil {
		t.Fatal("a client without the CA accepted the server certificate")
	}
}
