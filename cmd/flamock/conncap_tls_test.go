package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Under --tls the cap sits below TLS: a request within the cap has
// Request.TLS (the OAuth audience is https), and a connection beyond the
// cap reads the 503 over TLS.
func TestCapListeners_TLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS() // only for its certificate and a client that trusts it
	defer ts.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lns := capListeners(1, []net.Listener{ln}, []*tls.Config{ts.TLS.Clone()})
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			io.WriteString(w, "no TLS")
			return
		}
		io.WriteString(w, "TLS")
	})}
	go hs.Serve(lns[0])
	defer hs.Close()
	base := "https://" + ln.Addr().String()
	client := ts.Client()

	resp, err := client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "TLS" {
		t.Fatalf("within the cap: %d %q; want 200 \"TLS\"", resp.StatusCode, body)
	}
	// The client keeps that connection alive: the next one is beyond the cap.
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: client.Transport.(*http.Transport).TLSClientConfig}}
	resp, err = other.Get(base)
	if err != nil {
		t.Fatalf("beyond the cap: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), "serviceUnavailable") {
		t.Errorf("beyond the cap: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}
