package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// connLimits are the time and size limits of every connection serve
// accepts (the limits: section of the config file).
type connLimits struct {
	ReadHeaderTimeout time.Duration
	BodyReadTimeout   time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConnections    int
}

func (fc *fileConfig) connLimits() connLimits {
	l := connLimits{
		ReadHeaderTimeout: time.Duration(fc.Limits.ReadHeaderTimeout),
		BodyReadTimeout:   time.Duration(fc.Limits.BodyReadTimeout),
		IdleTimeout:       time.Duration(fc.Limits.IdleTimeout),
		MaxHeaderBytes:    fc.Limits.MaxHeaderBytes,
		MaxConnections:    fc.Limits.MaxConnections,
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = connCap(fdLimit())
	}
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = 10 * time.Second
	}
	if l.BodyReadTimeout <= 0 {
		l.BodyReadTimeout = 30 * time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 2 * time.Minute
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	return l
}

// newHTTPServer is an http.Server with the limits: headers must arrive
// within ReadHeaderTimeout and be at most MaxHeaderBytes, a body within
// BodyReadTimeout of the headers (a slower one is cut: the handler reads an
// error and the connection is closed), and a keep-alive connection is
// closed after IdleTimeout without a request. There is no write timeout and
// no whole-request read timeout, which would also end the journal's
// server-sent event stream.
func newHTTPServer(h http.Handler, l connLimits, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           bodyDeadline(h, l.BodyReadTimeout),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
}

// bodyDeadline sets a read deadline of d on the connection of a request
// with a body. net/http clears it once the body has been read to its end:
// reaching the end starts its background read of the connection, which
// first clears the read deadline (connReader.startBackgroundRead), so a
// slow handler or a long answer after the body is not cut
// (TestBodyDeadline_ClearedAfterBody).
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}

// isLoopback reports whether a listener's address is a loopback one.
func isLoopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// adminPlacement decides where the admin API listens: on adminAddr when it
// is set; else, when the API listens on a non-loopback address and no
// admin token guards it, apart on 127.0.0.1:0; else ("") beside the API.
// exposed says the API listens on a non-loopback address.
func adminPlacement(api net.Addr, adminAddr, adminToken string) (addr string, exposed bool) {
	exposed = !isLoopback(api)
	if exposed && adminAddr == "" && adminToken == "" {
		adminAddr = "127.0.0.1:0"
	}
	return adminAddr, exposed
}
