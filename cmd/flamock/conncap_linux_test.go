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

func TestConnCap(t *testing.T) {
	for _, tc := range []struct {
		nofile uint64
		known  bool
		want   int
	}{
		{256, true, 144}, {1024, true, 720}, {64, true, 8}, {0, false, 1024}, {1 << 40, true, 100_000},
	} {
		if got := connCap(tc.nofile, tc.known); got != tc.want {
			t.Errorf("connCap(%d, %v) = %d; want %d", tc.nofile, tc.known, got, tc.want)
		}
	}
}

// Slow clients that hold every connection the cap allows do not lock a
// normal client out: the connections beyond the cap, the normal client's
// included, are answered 503 with Retry-After at once, before any
// timeout; once slow clients leave, the normal client is served.
func TestServe_ConnectionCap(t *testing.T) {
	cfg, _ := writeTestConfig(t, "limits:\n  readHeaderTimeout: 2m\n  bodyReadTimeout: 2m\n  maxConnections: 20\n")
	p := startServe(t, "--config", cfg)
	setRlimit(t, p.cmd.Process.Pid, syscall.RLIMIT_NOFILE, 64)
	if !strings.Contains(p.banner, "connections    at most 20 at once") {
		t.Errorf("the banner does not say the cap:\n%s", p.banner)
	}
	addr := strings.TrimPrefix(p.base, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 40 { // headers that never end
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /__admin/health HTTP/1.1\r\nHost: x\r\n")
		conns = append(conns, c)
	}
	// The 20 beyond the cap read a 503 and an end; the first 20 are held.
	refused := 0
	for i, c := range conns[20:] {
		c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard, not a measure
		b, _ := io.ReadAll(c)
		if !strings.HasPrefix(string(b), "HTTP/1.1 503 Service Unavailable\r\n") || !strings.Contains(string(b), "\r\nRetry-After: 1\r\n") {
			t.Errorf("connection %d beyond the cap read %q", 20+i, b)
			continue
		}
		refused++
	}
	// A normal client: a 503 problem with Retry-After while the slow hold.
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(p.base + "/__admin/health")
	if err != nil {
		t.Fatalf("a normal client while slow clients hold the connections: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(body), `"type":"urn:problem-type:belgif:serviceUnavailable"`) {
		t.Errorf("a normal client: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Slow clients leave: the normal client is served (bounded retries).
	for _, c := range conns[:10] {
		c.Close()
	}
	served := false
	for range 50 {
		resp, err := client.Get(p.base + "/__admin/health")
		if err == nil {
			bufio.NewReader(resp.Body).WriteTo(io.Discard)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				served = true
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !served {
		t.Errorf("the normal client was not served once slow clients left")
	}
	if refused != 20 {
		t.Errorf("%d connections refused beyond the cap; want 20", refused)
	}
}
