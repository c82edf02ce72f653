package mockoauth

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/golang-jwt/jwt/v5"
)

// ServeHTTP answers the token endpoint on Config.TokenPath and 404 on any
// other path. It never panics on any input.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == s.cfg.JWKSPath {
		s.serveJWKS(w, r)
		return
	}
	if r.URL.Path != s.cfg.TokenPath {
		if v := s.retiredVersion(r.URL.Path); v != "" {
			writeError(w, http.StatusNotFound, ErrInvalidRequest.Describe("%s is the token endpoint of OAuth %s, which the portal has retired; the token endpoint is POST %s, and the assertion's aud is its URL", r.URL.Path, v, s.cfg.TokenPath), nil)
			return
		}
		writeError(w, http.StatusNotFound, ErrInvalidRequest.Describe("no endpoint at %s; the token endpoint is POST %s", r.URL.Path, s.cfg.TokenPath), nil)
		return
	}
	s.serveToken(w, r)
}

// retiredTokenPaths are the token paths of the portal's older OAuth
// services, by version.
var retiredTokenPaths = map[string]string{"/REST/oauth/v3/token": "v3", "/REST/oauth/v4/token": "v4"}

// retiredVersion is the OAuth version whose retired token path p is, when
// the server answers on the portal's v5 path; else "".
func (s *Server) retiredVersion(p string) string {
	if s.cfg.TokenPath != DefaultTokenPath || p == s.cfg.JWKSPath {
		return ""
	}
	return retiredTokenPaths[p]
}

// Paths are the paths ServeHTTP answers on: the token path, the JWKS path
// and, when the token path is the portal's, the retired v3 and v4 token
// paths, whose answer points to v5 (a router mounts them all).
func (s *Server) Paths() []string {
	out := []string{s.cfg.TokenPath, s.cfg.JWKSPath}
	if s.cfg.TokenPath == DefaultTokenPath {
		for p := range retiredTokenPaths {
			if p != s.cfg.JWKSPath {
				out = append(out, p)
			}
		}
		slices.Sort(out[2:])
	}
	return out
}

// serveToken answers one token request: a planted fault, else the checks
// of token and either a token or the refusal of the first failing check.
// Every outcome is journaled by record, from the request's working state.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	tr := newTokenRequest(r)
	defer tr.release()
	if f, ok, e := s.takeFault(tr, ""); e != nil {
		s.describeRequest(tr)
		s.refuse(w, tr, start, e)
		return
	} else if ok && !s.playFault(w, tr, f, start) {
		return
	}
	resp, oerr := s.token(tr)
	if oerr == errFaulted {
		s.playFault(w, tr, *tr.fault, start)
		return
	}
	if oerr != nil {
		s.refuse(w, tr, start, oerr)
		return
	}
	writeToken(w, resp)
	out := outcome{verdict: journal.VerdictGranted, status: http.StatusOK, expiresIn: resp.ExpiresIn}
	if s.cfg.Journal != nil {
		out.fingerprint = Fingerprint(resp.AccessToken)
	}
	s.record(start, tr, out)
}

// refuse answers and journals a refusal.
func (s *Server) refuse(w http.ResponseWriter, tr *tokenRequest, start time.Time, oerr *Error) {
	status, hdr := s.refusal(oerr)
	writeError(w, status, oerr, hdr)
	s.record(start, tr, outcome{verdict: journal.VerdictRefused, status: status, code: oerr.Code, description: oerr.Description, stage: oerr.stage})
}

// outcome is how a token request was answered, for the journal.
type outcome struct {
	verdict     string // journal.Verdict*
	status      int
	code        string // RFC 6749 §5.2 error code
	description string
	stage       string // journal.Stage*
	expiresIn   int
	fingerprint string
}

// record journals one token request: what tr learned and how it was
// answered. The normal path and planted faults both record through it.
func (s *Server) record(t time.Time, tr *tokenRequest, out outcome) {
	if s.cfg.Journal == nil {
		return
	}
	ev := tr.event()
	ev.Verdict, ev.Status, ev.Error, ev.Description, ev.Stage = out.verdict, out.status, out.code, out.description, out.stage
	ev.ExpiresIn, ev.Fingerprint = out.expiresIn, out.fingerprint
	s.cfg.Journal.Append(journal.Event{Time: t, Kind: journal.KindToken, Token: &ev})
}

// token runs every check of a token request, one function per journal
// stage in the documented order (doc.go, "Order of checks"), and issues a
// token. The checks learn into tr; none reads the journal event.
func (s *Server) token(tr *tokenRequest) (*tokenResponse, *Error) {
	if e := checkMethod(tr.r); e != nil {
		return nil, e
	}
	if e := checkContentType(tr.r.Header.Get("Content-Type")); e != nil {
		return nil, e.at(journal.StageContentType)
	}
	for _, stage := range tokenStages {
		if e := stage(s, tr); e != nil {
			return nil, e
		}
	}
	return s.issue(tr)
}

// tokenStages are the checks after the method and the Content-Type, in
// order; each returns the refusal of its stage (journal.Stage*).
var tokenStages = []func(*Server, *tokenRequest) *Error{
	(*Server).checkForm,
	(*Server).checkQuery,
	(*Server).checkGrant,
	(*Server).checkClientAuth,
	(*Server).checkAssertionType,
	(*Server).decodeAssertion,
	(*Server).checkAlg,
	(*Server).findClient,
	(*Server).checkSignature,
	(*Server).scopedFault,
	(*Server).checkIssSub,
	(*Server).checkAud,
	(*Server).checkTimes,
	(*Server).checkJTI,
	(*Server).checkScope,
	(*Server).checkCertificate,
	(*Server).checkDisabled,
}

// tokenRequest is the working state of one token request: what the
// checks learn, stage by stage, for the stages after them. The journal
// event is made from it once the request is answered (event).
type tokenRequest struct {
	r   *http.Request
	buf *bytes.Buffer // the body, pooled

	clientAuth string     // journal.ClientAuth*: the Authorization header's, then the form's
	form       url.Values // nil until the form parsed
	// The form's OAuth parameters, as sent; set once the query check
	// passed (a refusal at or before it journals none of them).
	grantType, assertionType, requestScope string
	clientID                               string // as claimed: client_id, else sub, else iss

	assertion string
	header    map[string]any // the JWS header, once decoded (even if the rest is not)
	claims    jwt.MapClaims  // the claims, once the JWS decoded; else nil
	tok       *jwt.Token     // header and claims, not verified
	parts     []string       // the three segments; nil when the signature segment is not decodable
	parseErr  error          // the parser's error (ErrTokenUnverifiable is expected)
	sub, iss  string
	subOK     bool // sub is a string (or absent)
	issOK     bool
	alg       string
	aud       string // the audience the assertion had to name
	client    *client
	signer    *regCert
	now       time.Time
	exp       time.Time
	scopes    []string
	scopeStr  string
	granted   []string // the scopes of the issued token
	fault     *Fault   // a fault scoped to the client, taken by scopedFault
}

func newTokenRequest(r *http.Request) *tokenRequest {
	return &tokenRequest{r: r, clientAuth: clientAuth(r.Header.Get("Authorization"), nil)}
}

// body returns a pooled buffer for the request body.
func (tr *tokenRequest) body() *bytes.Buffer {
	if tr.buf == nil {
		tr.buf = bufPool.Get().(*bytes.Buffer)
		tr.buf.Reset()
	}
	return tr.buf
}

// release returns the body buffer to the pool; tr.form stays valid (its
// strings were copied out of the buffer by the parser).
func (tr *tokenRequest) release() {
	if tr.buf != nil && tr.buf.Cap() <= 1<<16 {
		tr.buf.Reset()
		bufPool.Put(tr.buf)
	}
	tr.buf = nil
}

// event is the journal event of the request, without its outcome.
func (tr *tokenRequest) event() journal.Token {
	ev := journal.Token{
		RemoteAddr:    tr.r.RemoteAddr,
		Method:        tr.r.Method,
		ContentType:   mediaType(tr.r.Header.Get("Content-Type")),
		ClientAuth:    tr.clientAuth,
		ClientID:      tr.clientID,
		GrantType:     tr.grantType,
		AssertionType: tr.assertionType,
		RequestScope:  tr.requestScope,
		Header:        tr.header,
		Scopes:        tr.granted,
	}
	if tr.claims != nil {
		ev.Claims = tr.claims
	}
	return ev
}

// takeParams takes the OAuth parameters of a form, as sent.
func (tr *tokenRequest) takeParams(form url.Values) {
	tr.grantType = form.Get("grant_type")
	tr.assertionType = form.Get("client_assertion_type")
	tr.requestScope = form.Get("scope")
	tr.clientID = form.Get("client_id")
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
