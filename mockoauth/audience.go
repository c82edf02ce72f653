package mockoauth

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// audience is the value aud must hold for a request: Config.Audience (the
// public URL, or the environment's), else the server's own token URL.
func (s *Server) audience(r *http.Request) string {
	if s.cfg.Audience != "" {
		return s.cfg.Audience
	}
	return s.ownTokenURL(r)
}

// ownTokenURL is the token endpoint's URL at the address the connection
// reached: the listener's address (for a listener on every interface, the
// local address the client connected to). The Host header is never used:
// the client chooses it, and it would become the audience and the access
// tokens' iss. Only a Server called without a connection (no local address
// in the request's context, as in a handler test) falls back to r.Host.
func (s *Server) ownTokenURL(r *http.Request) string {
	return scheme(r) + "://" + localHost(r) + s.cfg.TokenPath
}

// localHost is the local address of the request's connection, else r.Host.
func localHost(r *http.Request) string {
	if ap, ok := localAddr(r); ok {
		return ap.String()
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		return a.String()
	}
	return r.Host
}

// localAddr is the local IP address and port of the request's connection.
func localAddr(r *http.Request) (netip.AddrPort, bool) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || a == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), true
}

// ownTokenURLAt reports whether aud is the token URL at another address
// the server listens on than the one the connection reached: the same
// scheme and port, and for host an IP address of this machine (loopback
// included) or localhost. A listener on every interface is reached on all
// of them (a container's port mapping delivers 127.0.0.1:8080 on the host
// to the container's own address), so each is its own audience; a name
// other than localhost never is (it comes from the client).
func (s *Server) ownTokenURLAt(aud string, r *http.Request) bool {
	la, ok := localAddr(r)
	if !ok {
		return false
	}
	u, err := url.Parse(aud)
	if err != nil || u.Scheme+"://"+u.Host+s.cfg.TokenPath != aud || u.Scheme != scheme(r) {
		return false
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || port != strconv.Itoa(int(la.Port())) {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	ip = ip.Unmap()
	return ip == la.Addr() || ip.IsLoopback() || machineAddrs()[ip]
}

// scheme is "https" for a request over TLS, else "http".
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// machineAddrs are the IP addresses of this machine's interfaces, read
// once.
var machineAddrs = sync.OnceValue(func() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out[p.Addr().Unmap()] = true
		}
	}
	return out
})

// oneAudience is aud as a string, or the string of a one-element array.
func oneAudience(aud any) (string, bool) {
	switch v := aud.(type) {
	case string:
		return v, true
	case []any:
		if len(v) == 1 {
			s, ok := v[0].(string)
			return s, ok
		}
	}
	return "", false
}

func (s *Server) checkAudience(aud any, want string, r *http.Request) *Error {
	switch v := aud.(type) {
	case nil:
		return ErrInvalidClient.Describe("client_assertion aud is missing; want %q", want)
	case string:
		if v == want {
			return nil
		}
		return ErrInvalidClient.Describe("client_assertion aud is %q; want %q%s", truncate(v, 200), want, s.audHint(v, want, r))
	case []any:
		var got []string
		match := false
		for _, x := range v {
			str, ok := x.(string)
			if !ok {
				return ErrInvalidClient.Describe("client_assertion aud holds a %s; want the string %q", jsonType(x), want)
			}
			got = append(got, strconv.Quote(truncate(str, 200)))
			match = match || str == want
		}
		switch {
		case match && len(v) == 1:
			return nil
		case match:
			return ErrInvalidClient.Describe("client_assertion aud has %d values [%s]; want only %q (an assertion valid for several audiences can be replayed)", len(v), strings.Join(got, ", "), want)
		case len(v) == 1:
			one, _ := v[0].(string)
			return ErrInvalidClient.Describe("client_assertion aud is [%s]; want %q%s", strings.Join(got, ", "), want, s.audHint(one, want, r))
		}
		return ErrInvalidClient.Describe("client_assertion aud is [%s]; want %q", strings.Join(got, ", "), want)
	}
	return ErrInvalidClient.Describe("client_assertion aud is a %s; want the string %q", jsonType(aud), want)
}
