package conformance

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/stack"
)

// assets are made once per suite: the CAs, the servers' certificates and
// the client's key and certificate files.
type assets struct {
	dir        string
	serverCert tls.Certificate // chains to the CA in caFile
	rogueCert  tls.Certificate // chains to a CA the client is not given
	caFile     string
	client     *certgen.Bundle
	files      certgen.Files
	password   string
	tokenKey   *rsa.PrivateKey // signs the access tokens of every scenario (one RSA key generation per run)
}

const p12Password = "flamock"

func newAssets(dir string, client *certgen.Bundle) (*assets, error) {
	a := &assets{dir: dir, client: client, password: p12Password}
	ca, err := certgen.NewCA("flamock conformance CA", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	if a.tokenKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	rogue, err := certgen.NewCA("flamock untrusted CA", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		ca  *certgen.CA
		out *tls.Certificate
	}{{ca, &a.serverCert}, {rogue, &a.rogueCert}} {
		b, err := x.ca.IssueServer("127.0.0.1", "localhost")
		if err != nil {
			return nil, err
		}
		*x.out = tls.Certificate{Certificate: [][]byte{b.Cert.Raw, x.ca.Cert.Raw}, PrivateKey: b.Key, Leaf: b.Cert}
	}
	a.caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(a.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644); err != nil {
		return nil, err
	}
	if a.files, err = client.WriteFiles(filepath.Join(dir, "client"), a.password, certgen.Modern); err != nil {
		return nil, err
	}
	return a, nil
}

// wire records every HTTP exchange of one scenario and links it to the
// journal event it produced. It serialises requests, so that each journal
// event is attributed to its request without doubt, and runs the
// scenario's hooks before the n-th API call.
type wire struct {
	mu        sync.Mutex
	j         *journal.Journal
	last      uint64
	exchanges []Exchange
	apiCalls  int
	before    map[int]func()
}

func (w *wire) handler(server string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		x := Exchange{Server: server, Start: time.Now(), Method: r.Method, Path: r.URL.Path,
			Query: redactQuery(r.URL.RawQuery), ContentType: r.Header.Get("Content-Type")}
		if auth := r.Header.Get("Authorization"); auth != "" {
			x.AuthScheme, _, _ = strings.Cut(auth, " ")
		}
		if server == "token" && r.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 256<<10))
			r.Body = io.NopCloser(bytes.NewReader(b))
			if form, err := url.ParseQuery(string(b)); err == nil {
				for k := range form {
					x.FormKeys = append(x.FormKeys, k)
				}
				slices.Sort(x.FormKeys)
			}
		}
		if server == "api" {
			w.apiCalls++
			if f := w.before[w.apiCalls]; f != nil {
				f()
			}
		}
		rec := &recordingWriter{ResponseWriter: rw}
		defer func() {
			x.End = time.Now()
			x.Status, x.Body = rec.status, rec.body.Bytes()
			x.RetryAfter = rec.Header().Get("Retry-After")
			x.RespType = rec.Header().Get("Content-Type")
			if evs := w.j.Events(w.last); len(evs) > 0 {
				x.Seq = evs[len(evs)-1].Seq
				w.last = x.Seq
			}
			w.exchanges = append(w.exchanges, x)
		}()
		next.ServeHTTP(rec, r)
	})
}

func (w *wire) snapshot() []Exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.exchanges)
}

// recordingWriter keeps the status and the first 8 KiB of the body.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recordingWriter) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := 8<<10 - r.body.Len(); room > 0 {
		r.body.Write(p[:min(room, len(p))])
	}
	return r.ResponseWriter.Write(p)
}

// startTLS serves h over HTTPS on 127.0.0.1 with cert; the handshakes
// clients attempt, and how the failed ones ended (a client refusing the
// certificate), go to hk, not to a log.
func startTLS(h http.Handler, cert tls.Certificate, hk *handshakes) *httptest.Server {
	hs := httptest.NewUnstartedServer(h)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	hs.Config.ErrorLog = hk.attach(hs.TLS)
	hs.StartTLS()
	return hs
}

// newScenarioStack assembles the mocks of one scenario with the stack: the
// profile with its conformance data (the FLA: its conformance mandate), the
// client registered under the scenario's identity, Strict on, and the
// scenario's journal. The harness mounts the token endpoint and the API
// behind its own recording handlers, so the stack's admin API is not served.
func newScenarioStack(s *Suite, tokenURL string, j *journal.Journal, client mockoauth.Client) (*stack.Stack, error) {
	return stack.New(stack.Config{
		Profile:  s.profile,
		Specs:    s.specs,
		Settings: stack.Settings{Conformance: true},
		OAuth:    mockoauth.Config{Audience: tokenURL, Clients: []mockoauth.Client{client}, SigningKey: s.assets.tokenKey},
		API:      mockfla.Config{Strict: true},
		Journal:  j,
	})
}
