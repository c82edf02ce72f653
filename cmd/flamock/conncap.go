package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"
)

// Connections beyond the cap are answered at once (as soon as the client
// sent its first bytes, or after overCapFirstRead), and closed: a 503 with Retry-After, so that slow or stuck clients
// holding the server's connections cannot lock a normal client out until
// their timeouts fire (a server out of file descriptors cannot even
// accept it).
const (
	// fdReserve are the descriptors kept for what is not a connection:
	// the state and journal files, the listeners, the runtime.
	fdReserve = 64
	// defaultMaxConns is the cap when the descriptor limit is unknown.
	defaultMaxConns = 1024
	maxMaxConns     = 100_000
	overCapRetry    = 1 // seconds, in Retry-After
	// overCapFirstRead is how long a connection beyond the cap waits for
	// its client's first bytes before the 503 is written.
	overCapFirstRead = 200 * time.Millisecond
)

// connCap derives the cap on concurrent connections from the soft limit
// of file descriptors at start: three quarters of what the reserve leaves,
// at least 8.
func connCap(nofile uint64, known bool) int {
	if !known {
		return defaultMaxConns
	}
	if nofile <= fdReserve+8 {
		return 8
	}
	n := (nofile - fdReserve) * 3 / 4
	return int(min(max(n, 8), maxMaxConns))
}

// overCapAnswer is what a connection beyond the cap reads.
var overCapAnswer = func() []byte {
	body := fmt.Sprintf(`{"type":"urn:problem-type:belgif:serviceUnavailable","href":"https://www.belgif.be/specification/rest/api-guide/problems/serviceUnavailable.html","title":"Service is unavailable","status":503,"detail":"flamock serve holds as many connections as it takes (limits.maxConnections); retry after %d s"}`, overCapRetry)
	return []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", overCapRetry, len(body), body))
}()

// connLimiter counts the connections of every listener of one server.
type connLimiter struct {
	mu     sync.Mutex
	active int
	max    int
}

// capListener accepts at most lim.max connections at once across the
// listeners that share lim; the others get overCapAnswer. With tls set it
// serves TLS on the counted connection (so that http.Server sees a
// *tls.Conn and sets Request.TLS) and answers over TLS beyond the cap.
type capListener struct {
	net.Listener
	lim *connLimiter
	tls *tls.Config
}

func (l capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.lim.mu.Lock()
		ok := l.lim.active < l.lim.max
		if ok {
			l.lim.active++
		}
		l.lim.mu.Unlock()
		if ok {
			var cc net.Conn = &countedConn{Conn: c, lim: l.lim}
			if l.tls != nil {
				cc = tls.Server(cc, l.tls)
			}
			return cc, nil
		}
		if l.tls != nil {
			c = tls.Server(c, l.tls)
		}
		go refuseOverCap(c)
	}
}

// refuseOverCap answers and closes. It first waits briefly
// (overCapFirstRead) for the client's first bytes: a normal client has
// sent its request by then, and an answer that arrives before a client
// wrote its request is one some clients refuse (Go's net/http: "Unsolicited
// response received on idle HTTP channel"); a client that sends nothing
// gets the answer when the wait ends. Then it reads what the client sent
// meanwhile (briefly), so that the close does not reset the connection
// before the client reads the answer.
func refuseOverCap(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(overCapFirstRead))
	_, _ = c.Read(buf)
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(overCapAnswer); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

type countedConn struct {
	net.Conn
	lim  *connLimiter
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.lim.mu.Lock()
		c.lim.active--
		c.lim.mu.Unlock()
	})
	return err
}

// capListeners wraps every listener with one shared cap; tlsCfgs[i], when
// not nil, is the TLS of lns[i] (a plain TCP listener).
func capListeners(max int, lns []net.Listener, tlsCfgs []*tls.Config) []net.Listener {
	lim := &connLimiter{max: max}
	out := make([]net.Listener, len(lns))
	for i, ln := range lns {
		out[i] = capListener{Listener: ln, lim: lim, tls: tlsCfgs[i]}
	}
	return out
}
