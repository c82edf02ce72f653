package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Slow clients cannot starve the server: with 64 file descriptors, 100
// connections that send their headers slowly or never finish their body,
// on the API and on the token endpoint, are cut after the configured
// timeouts, and a normal client gets its answers meanwhile.
func TestServe_SlowConnectionsAreCut(t *testing.T) {
	cfg, bundles := writeTestConfig(t, "limits:\n  readHeaderTimeout: 1s\n  bodyReadTimeout: 1s\n  idleTimeout: 5s\n  maxHeaderBytes: 8192\n")
	p := startServe(t, "--config", cfg)
	setRlimit(t, p.cmd.Process.Pid, syscall.RLIMIT_NOFILE, 64)
	addr := strings.TrimPrefix(p.base, "http://")
	put := trainingsURL("", "403019261", testSSIN(1), 2023)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 100 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		switch i % 3 {
		case 0: // headers that never end
			fmt.Fprintf(c, "GET /__admin/health HTTP/1.1\r\nHost: x\r\n")
		case 1: // an API body that never ends
			fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"trainings\":", put)
		case 2: // a chunked token request that never ends
			fmt.Fprintf(c, "POST /REST/oauth/v5/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngrant\r\n")
		}
	}
	// A normal client is answered, by the API and the token endpoint.
	client := &http.Client{Timeout: 20 * time.Second}
	start := time.Now()
	token := getToken(t, client, p.base, testEmployerID, bundles[testEmployerID])
	if r := call(t, client, "GET", p.base+put, token, ""); r.status != 404 {
		t.Fatalf("GET while slow clients hold connections: %d %s", r.status, r.raw)
	}
	t.Logf("normal client answered %v after 100 slow connections (64 descriptors)", time.Since(start).Round(time.Millisecond))
	// Every slow connection was ended by the server.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		b, err := io.ReadAll(bufio.NewReader(c))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("slow connection %d (kind %d) still open after 15 s; read %q", i, i%3, b)
		}
	}
	// A header larger than maxHeaderBytes is refused.
	req, _ := http.NewRequest("GET", p.base+"/__admin/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 20000))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("20 kB header: %d", resp.StatusCode)
	}
}
