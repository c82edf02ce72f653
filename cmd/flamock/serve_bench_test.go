package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/ssoauth"
	"github.com/flamock/flamock/profiles/fla"
)

// BenchmarkServe is one request through the whole server of flamock serve
// over loopback TCP (issue 19): runServe's wiring (connection cap, limits,
// the reporter), net/http's framing, the stack's router and the API mock,
// with the load script's request (the example trainings body, a JWT access
// token, in-memory store). "bare" is the same client against a bare
// net/http handler that answers the body back (scripts/load/bare), so the
// difference of the two is what flamock adds, framing included. Under
// scripts/load/callgrind.sh (GOMAXPROCS=1, GC off) it counts the
// instructions of client and server together, user space only.
func BenchmarkServe(b *testing.B) {
	dir := b.TempDir()
	key, err := certgen.Create(certgen.Request{Key: certgen.P384, CommonName: "load employer", EnterpriseNumber: "0403019261"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := key.WriteFiles(filepath.Join(dir, "employer"), "changeit", certgen.Modern); err != nil {
		b.Fatal(err)
	}
	const id = "self_service_chaman_403019_loademploy"
	cfg := filepath.Join(dir, "flamock.yaml")
	yaml := "clients:\n  - id: " + id + "\n    quality: employer\n    enterpriseNumber: \"0403019261\"\n    certificates: [employer.cer]\noauth:\n  tokenLifetime: 1h\n  accessTokens: jwt\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	body, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, []string{"--config", cfg, "--addr", "127.0.0.1:0", "-q"}, w, io.Discard) }()
	base := ""
	sc := bufio.NewScanner(stdout)
	for base == "" && sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, stdout)
	if base == "" {
		b.Fatalf("flamock serve printed no address: %v", <-done)
	}
	defer func() { cancel(); <-done }()
	tokenURL := base + "/REST/oauth/v5/token"
	a, err := ssoauth.Assertion{ClientID: id, Audience: tokenURL, Key: key.Key}.Sign()
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ssoauth.RequestToken(ctx, http.DefaultClient, tokenURL, a, "")
	if err != nil {
		b.Fatal(err)
	}

	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go bare.Serve(ln)
	defer bare.Close()

	path := "/REST/careerpro-fla/v1/employers/403019261/employees/65111899801/calendarYears/2023/trainings"
	for _, c := range []struct{ name, addr, token string }{
		{"flamock", strings.TrimPrefix(base, "http://"), tok.AccessToken},
		{"bare", ln.Addr().String(), tok.AccessToken},
	} {
		put := fmt.Appendf(nil, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, c.addr, c.token, len(body), body)
		get := fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path, c.addr, c.token)
		for _, m := range []struct {
			name string
			req  []byte
		}{{"PUT", put}, {"GET", get}} {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				conn, err := net.Dial("tcp", c.addr)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				r := bufio.NewReader(conn)
				b.ReportAllocs()
				callgrindZero()
				for b.Loop() {
					if _, err := conn.Write(m.req); err != nil {
						b.Fatal(err)
					}
					if err := readAnswer(r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// callgrindZero marks the start of a measured loop for
// scripts/load/callgrind.sh, which zeroes its counts there: the setup
// before (keys, tokens) varies from run to run.
//
//go:noinline
func callgrindZero() {}

// readAnswer reads one 200 answer with a Content-Length and its body.
func readAnswer(r *bufio.Reader) error {
	n := -1
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		s := string(line)
		if first && !strings.HasPrefix(s, "HTTP/1.1 200 ") {
			rest, _ := r.Peek(r.Buffered())
			return fmt.Errorf("answer %q%s", s, rest)
		}
		if s == "\r\n" {
			break
		}
		if v, ok := strings.CutPrefix(s, "Content-Length: "); ok {
			fmt.Sscanf(v, "%d", &n)
		}
	}
	if n < 0 {
		return fmt.Errorf("answer without Content-Length")
	}
	_, err := r.Discard(n)
	return err
}
