package mockfla

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"sync"
)

// Belgif trace headers: the server names each response with a trace id of
// its own, and echoes the caller's own trace id, if it sent one.
const (
	HeaderTraceID        = "BelGov-Trace-Id"
	HeaderRelatedTraceID = "BelGov-Related-Trace-Id"
)

// traceHeaders sets the trace headers of the response to r: a new
// BelGov-Trace-Id (a random UUID) and, when the caller sent its own
// BelGov-Trace-Id, BelGov-Related-Trace-Id holding it.
func (s *Server) traceHeaders(h http.Header, r *http.Request) {
	h[keyTraceID] = []string{s.newTraceID()}
	if own := canonGet(r.Header, keyTraceID); own != "" {
		h[keyRelatedTraceID] = []string{own}
	}
}

// The trace headers' names as http.Header keys (canonical: Belgov-…),
// so that no call canonicalizes them again.
var (
	keyTraceID        = http.CanonicalHeaderKey(HeaderTraceID)
	keyRelatedTraceID = http.CanonicalHeaderKey(HeaderRelatedTraceID)
)

// canonGet is h.Get(key) for a key already in canonical form
// ("Content-Type", "Authorization"): the same value, without
// canonicalizing the name on every call.
func canonGet(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// newTraceID returns a random (version 4) UUID read from Config.Rand. A
// failing source gives the nil UUID rather than no header.
func (s *Server) newTraceID() string {
	var u [16]byte
	if s.cfg.Rand == rand.Reader {
		readRandom(&u)
	} else {
		s.randMu.Lock()
		_, err := io.ReadFull(s.cfg.Rand, u[:])
		s.randMu.Unlock()
		if err != nil {
			u = [16]byte{}
		}
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// randomBytes hands out bytes read from crypto/rand a block at a time:
// one read of crypto/rand per block instead of one per trace id, which
// cost about a microsecond of each request (its DRBG and the getrandom
// call). Each byte is handed out once.
type randomBytes struct {
	b    [1024]byte
	used int // bytes of b handed out
}

var randomPool = sync.Pool{New: func() any { return &randomBytes{used: len(randomBytes{}.b)} }}

// readRandom fills u with bytes from crypto/rand.
func readRandom(u *[16]byte) {
	rb := randomPool.Get().(*randomBytes)
	if rb.used+len(u) > len(rb.b) {
		_, _ = rand.Read(rb.b[:]) // never fails (crypto/rand)
		rb.used = 0
	}
	rb.used += copy(u[:], rb.b[rb.used:])
	randomPool.Put(rb)
}

// traced sets the trace headers on every answer of h (the admin API).
func (s *Server) traced(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.traceHeaders(w.Header(), r)
		h.ServeHTTP(w, r)
	})
}
