package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The body's read deadline holds while the body is read, and is cleared
// once it has been read to its end (by net/http: bodyDeadline sets it
// only): a handler that takes longer than the deadline after reading the
// body keeps its context and answers, on a connection that stays usable;
// a body that stalls is cut.
func TestBodyDeadline_ClearedAfterBody(t *testing.T) {
	const d = 200 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read: "+err.Error(), http.StatusBadRequest)
			return
		}
		time.Sleep(3 * d) // past the body's deadline
		if err := r.Context().Err(); err != nil {
			http.Error(w, "context: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "read %d bytes", len(b))
	})
	hs := newHTTPServer(h, connLimits{ReadHeaderTimeout: 5 * time.Second, BodyReadTimeout: d, IdleTimeout: time.Minute, MaxHeaderBytes: 1 << 16}, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 2 { // twice on one connection
		fmt.Fprintf(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "read 5 bytes" {
			t.Fatalf("request %d: %d %q; want 200 %q", i, resp.StatusCode, b, "read 5 bytes")
		}
	}

	// A body that stops before its end is cut after d.
	fmt.Fprintf(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhel")
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.HasPrefix(string(b), "read: ") || !strings.Contains(string(b), "i/o timeout") {
		t.Fatalf("stalled body: %d %q; want 400 read: ... i/o timeout", resp.StatusCode, b)
	}
}
