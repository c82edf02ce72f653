package conformance

import (
	"crypto/tls"
	"log"
	"regexp"
	"sync"
)

// TLSEvidence is what a scenario's server saw of the TLS handshakes
// clients attempted: how many began (a ClientHello arrived) and how the
// ones that failed ended, as the server's TLS stack said.
type TLSEvidence struct {
	Attempts int      `json:"attempts"`
	Failures []string `json:"failures,omitempty"` // e.g. "remote error: tls: unknown certificate authority"
}

// handshakes records the handshakes of one server. Its zero value is ready.
type handshakes struct {
	mu sync.Mutex
	ev TLSEvidence
}

// attach makes cfg count every ClientHello and returns the logger that
// takes the server's handshake errors.
func (h *handshakes) attach(cfg *tls.Config) *log.Logger {
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		h.mu.Lock()
		h.ev.Attempts++
		h.mu.Unlock()
		return nil, nil
	}
	return log.New(handshakeErrors{h}, "", 0)
}

func (h *handshakes) snapshot() TLSEvidence {
	h.mu.Lock()
	defer h.mu.Unlock()
	return TLSEvidence{Attempts: h.ev.Attempts, Failures: append([]string(nil), h.ev.Failures...)}
}

// maxHandshakeFailures bounds what is kept of a client's failed handshakes.
const maxHandshakeFailures = 20

// net/http logs "http: TLS handshake error from 127.0.0.1:1234: <reason>".
var handshakeError = regexp.MustCompile(`TLS handshake error from [^ ]+: (.*)`)

type handshakeErrors struct{ h *handshakes }

func (w handshakeErrors) Write(p []byte) (int, error) {
	if m := handshakeError.FindSubmatch(p); m != nil {
		w.h.mu.Lock()
		if len(w.h.ev.Failures) < maxHandshakeFailures {
			w.h.ev.Failures = append(w.h.ev.Failures, string(trimNewline(m[1])))
		}
		w.h.mu.Unlock()
	}
	return len(p), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
