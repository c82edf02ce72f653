package mockoauth

import (
	"bytes"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/redact"
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
		writeError(w, http.StatusNotFound, ErrInvalidRequest.Describe("no endpoint at %s; the token endpoint is POST %s", r.URL.Path, s.cfg.TokenPath), nil)
		return
	}
	s.serveToken(w, r)
}

// tokenResponse is the RFC 6749 §5.1 success body, in the field order
// clients have been seen to depend on (access_token before scope).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	ev := journal.Token{RemoteAddr: r.RemoteAddr, Method: r.Method, ContentType: mediaType(r.Header.Get("Content-Type"))}
	ev.ClientAuth = clientAuth(r.Header.Get("Authorization"), nil)
	start := s.now()
	if f, ok := s.faults.Take(r.Method, r.URL.Path); ok {
		if !s.playFault(w, r, f, start, &ev) {
			return
		}
	}
	resp, oerr := s.token(r, &ev)
	if oerr != nil {
		status := oerr.Status
		var hdr http.Header
		switch {
		case status == 0:
			status = http.StatusBadRequest
		case oerr.Code == ErrInvalidClient.Code:
			status = s.cfg.InvalidClientStatus
			if status == http.StatusUnauthorized {
				hdr = http.Header{"Www-Authenticate": {`Bearer realm="` + s.cfg.TokenPath + `", error="invalid_client"`}}
			}
		case status == http.StatusMethodNotAllowed:
			hdr = http.Header{"Allow": {http.MethodPost}}
		}
		if oerr.retryAfter > 0 {
			hdr = http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(oerr.retryAfter.Seconds())))}}
		}
		writeError(w, status, oerr, hdr)
		ev.Verdict, ev.Status, ev.Error, ev.Description = journal.VerdictRefused, status, oerr.Code, oerr.Description
		ev.Stage = oerr.stage
		s.record(start, &ev)
		return
	}
	writeToken(w, resp)
	ev.Verdict, ev.Status, ev.ExpiresIn = journal.VerdictGranted, http.StatusOK, resp.ExpiresIn
	if s.cfg.Journal != nil {
		ev.Fingerprint = Fingerprint(resp.AccessToken)
	}
	s.record(start, &ev)
}

func (s *Server) record(t time.Time, ev *journal.Token) {
	if s.cfg.Journal == nil {
		return
	}
	cp := *ev
	s.cfg.Journal.Append(journal.Event{Time: t, Kind: journal.KindToken, Token: &cp})
}

// sleep waits d or until the client goes away; it reports whether to go on.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// tokenRequest is what the checks of one token request learn, stage by
// stage, for the stages after them.
type tokenRequest struct {
	r   *http.Request
	ev  *journal.Token
	buf *bytes.Buffer // the body, pooled

	form      url.Values
	assertion string
	tok       *jwt.Token // header and claims, not verified
	parts     []string   // the three segments; nil when the signature segment is not decodable
	parseErr  error      // the parser's error (ErrTokenUnverifiable is expected)
	claims    jwt.MapClaims
	sub, iss  string
	subOK     bool // sub is a string (or absent)
	issOK     bool
	alg       string
	client    *client
	signer    *regCert
	now       time.Time
	exp       time.Time
	scopes    []string
	scopeStr  string
}

// token runs every check of a token request, one function per journal
// stage in the documented order (doc.go, "Order of checks"), and issues a
// token. ev collects what the journal records.
func (s *Server) token(r *http.Request, ev *journal.Token) (*tokenResponse, *Error) {
	if e := checkMethod(r); e != nil {
		return nil, e
	}
	if e := checkContentType(r.Header.Get("Content-Type")); e != nil {
		return nil, e.at(journal.StageContentType)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<16 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	tr := &tokenRequest{r: r, ev: ev, buf: buf}
	// One call per stage, in order; each returns the refusal of its stage.
	if e := s.checkForm(tr); e != nil {
		return nil, e
	}
	if e := s.checkQuery(tr); e != nil {
		return nil, e
	}
	if e := s.checkGrant(tr); e != nil {
		return nil, e
	}
	if e := s.checkClientAuth(tr); e != nil {
		return nil, e
	}
	if e := s.checkAssertionType(tr); e != nil {
		return nil, e
	}
	if e := s.decodeAssertion(tr); e != nil {
		return nil, e
	}
	if e := s.checkAlg(tr); e != nil {
		return nil, e
	}
	if e := s.findClient(tr); e != nil {
		return nil, e
	}
	if e := s.checkSignature(tr); e != nil {
		return nil, e
	}
	if e := s.checkIssSub(tr); e != nil {
		return nil, e
	}
	if e := s.checkAud(tr); e != nil {
		return nil, e
	}
	if e := s.checkTimes(tr); e != nil {
		return nil, e
	}
	if e := s.checkJTI(tr); e != nil {
		return nil, e
	}
	if e := s.checkScope(tr); e != nil {
		return nil, e
	}
	if e := s.checkCertificate(tr); e != nil {
		return nil, e
	}
	if e := s.checkDisabled(tr); e != nil {
		return nil, e
	}
	return s.issue(tr)
}

// checkMethod: POST only (StageMethod).
func checkMethod(r *http.Request) *Error {
	if r.Method != http.MethodPost {
		return ErrInvalidRequest.WithStatus(http.StatusMethodNotAllowed).Describe("method is %s; the token endpoint takes POST (RFC 6749 §3.2)", r.Method).at(journal.StageMethod)
	}
	return nil
}

// checkForm reads and parses the body (StageForm).
func (s *Server) checkForm(tr *tokenRequest) *Error {
	form, oerr := s.readForm(tr.r, tr.buf)
	if oerr != nil {
		return oerr.at(journal.StageForm)
	}
	tr.form = form
	tr.ev.ClientAuth = clientAuth(tr.r.Header.Get("Authorization"), form)
	return nil
}

// checkQuery refuses OAuth parameters in the URL query (StageQuery), then
// records the form's parameters in the journal event.
func (s *Server) checkQuery(tr *tokenRequest) *Error {
	r, ev := tr.r, tr.ev
	if r.URL.RawQuery != "" {
		if q, err := url.ParseQuery(r.URL.RawQuery); err != nil || hasOAuthParam(q) {
			if _, ok := q["client_secret"]; ok && ev.ClientAuth == "" {
				ev.ClientAuth = journal.ClientAuthSecret
			}
			// The query is echoed with its secrets hidden: a client secret
			// or assertion sent there must not reach the journal or logs.
			shown, _ := redact.Query(r.URL.RawQuery)
			return ErrInvalidRequest.Describe("token request parameters belong in the form body, not in the URL query %q (RFC 6749 §3.2)", truncate(shown, 80)).at(journal.StageQuery)
		}
	}
	ev.GrantType = tr.form.Get("grant_type")
	ev.AssertionType = tr.form.Get("client_assertion_type")
	ev.RequestScope = tr.form.Get("scope")
	ev.ClientID = tr.form.Get("client_id")
	return nil
}

// checkGrant: grant_type=client_credentials (StageGrant).
func (s *Server) checkGrant(tr *tokenRequest) *Error {
	switch gt, ok := tr.form["grant_type"]; {
	case !ok || gt[0] == "":
		return ErrInvalidRequest.Describe("grant_type is missing; want %s", GrantTypeClientCredentials).at(journal.StageGrant)
	case gt[0] != GrantTypeClientCredentials:
		return ErrUnsupportedGrantType.Describe("grant_type is %q; the portal supports only %s", truncate(gt[0], 80), GrantTypeClientCredentials).at(journal.StageGrant)
	}
	return nil
}

// checkClientAuth: no client secret, no Authorization header
// (StageClientSecret).
func (s *Server) checkClientAuth(tr *tokenRequest) *Error {
	switch tr.ev.ClientAuth {
	case journal.ClientAuthSecret:
		return ErrInvalidRequest.Describe("client_secret is not supported: the portal does not use client secrets; authenticate with a client_assertion signed by the key of your registered certificate (private_key_jwt, RFC 7523)").at(journal.StageClientSecret)
	case journal.ClientAuthBasic:
		return ErrInvalidRequest.Describe("HTTP Basic authentication (client_secret_basic) is not supported: the portal does not use client secrets; send client_assertion in the form instead (private_key_jwt, RFC 7523)").at(journal.StageClientSecret)
	case journal.ClientAuthOther:
		return ErrInvalidRequest.Describe("the token endpoint takes no Authorization header; authenticate with client_assertion in the form (private_key_jwt, RFC 7523)").at(journal.StageClientSecret)
	}
	return nil
}

// checkAssertionType: client_assertion_type is the RFC 7523 URN
// (StageAssertionType).
func (s *Server) checkAssertionType(tr *tokenRequest) *Error {
	switch at, ok := tr.form["client_assertion_type"]; {
	case !ok || at[0] == "":
		return ErrInvalidRequest.Describe("client_assertion_type is missing; want %s", ClientAssertionType).at(journal.StageAssertionType)
	case at[0] != ClientAssertionType:
		return ErrInvalidRequest.Describe("client_assertion_type is %q; want %s", truncate(at[0], 120), ClientAssertionType).at(journal.StageAssertionType)
	}
	return nil
}

// decodeAssertion: client_assertion present, bounded, a compact JWS whose
// header and claims decode (StageJWS). The claims go to the journal.
func (s *Server) decodeAssertion(tr *tokenRequest) *Error {
	ev := tr.ev
	tr.assertion = tr.form.Get("client_assertion")
	if tr.assertion == "" {
		return ErrInvalidRequest.Describe("client_assertion is missing; want a JWT signed with the key of your registered certificate").at(journal.StageJWS)
	}
	if len(tr.assertion) > s.cfg.MaxAssertionBytes {
		return ErrInvalidRequest.Describe("client_assertion is %d bytes; at most %d allowed", len(tr.assertion), s.cfg.MaxAssertionBytes).at(journal.StageJWS)
	}
	tr.claims = jwt.MapClaims{}
	tok, parts, err := s.parser.ParseUnverified(tr.assertion, tr.claims)
	if err != nil && (tok == nil || tok.Header == nil || !errors.Is(err, jwt.ErrTokenUnverifiable)) {
		if tok != nil {
			ev.Header = tok.Header
		}
		return s.diagnose(tr.assertion).at(journal.StageJWS)
	}
	tr.tok, tr.parts, tr.parseErr = tok, parts, err
	ev.Header = tok.Header
	ev.Claims = tr.claims
	tr.sub, tr.subOK = tr.claims["sub"].(string)
	tr.iss, tr.issOK = tr.claims["iss"].(string)
	if ev.ClientID == "" {
		ev.ClientID = tr.sub
		if ev.ClientID == "" {
			ev.ClientID = tr.iss
		}
	}
	return nil
}

// checkAlg: alg in the allow list, never none or HS*, no crit (StageAlg);
// then the signature segment must decode (StageJWS).
func (s *Server) checkAlg(tr *tokenRequest) *Error {
	alg, ok := tr.tok.Header["alg"].(string)
	if !ok {
		return ErrInvalidRequest.Describe("client_assertion header has no alg (RFC 7515 §4.1.1); want one of %s", strings.Join(s.cfg.Algorithms, ", ")).at(journal.StageAlg)
	}
	if !s.algs[alg] || tr.tok.Method == nil {
		return s.algError(alg).at(journal.StageAlg)
	}
	if crit, ok := tr.tok.Header["crit"]; ok {
		return ErrInvalidClient.Describe("client_assertion header crit %v names extensions this server does not understand (RFC 7515 §4.1.11)", crit).at(journal.StageAlg)
	}
	if tr.parseErr != nil || tr.parts == nil { // signature segment not decodable
		return s.diagnose(tr.assertion).at(journal.StageJWS)
	}
	tr.alg = alg
	return nil
}

// findClient: the client, by client_id if sent, else sub, else iss
// (StageClient).
func (s *Server) findClient(tr *tokenRequest) *Error {
	claims := tr.claims
	id := tr.ev.ClientID
	if _, ok := claims["sub"]; ok && !tr.subOK {
		return ErrInvalidClient.Describe("client_assertion sub is a %s; want the client id as a string", jsonType(claims["sub"])).at(journal.StageClient)
	}
	if _, ok := claims["iss"]; ok && !tr.issOK {
		return ErrInvalidClient.Describe("client_assertion iss is a %s; want the client id as a string", jsonType(claims["iss"])).at(journal.StageClient)
	}
	if id == "" {
		return ErrInvalidClient.Describe("client_assertion has neither sub nor iss; both must be your client id").at(journal.StageClient)
	}
	c := s.client(id)
	if c == nil {
		return ErrInvalidClient.Describe("unknown client %q: no client with this id is registered", truncate(id, 120)).at(journal.StageClient)
	}
	tr.client = c
	return nil
}

// checkSignature: a registered key of the type alg needs, and the
// signature verifying with one of them (StageSignature).
func (s *Server) checkSignature(tr *tokenRequest) *Error {
	c, alg, tok := tr.client, tr.alg, tr.tok
	kind := keyKindFor(alg)
	tried := 0
	signingInput := tr.assertion[:len(tr.parts[0])+1+len(tr.parts[1])]
	for i := range c.certs {
		rc := &c.certs[i]
		if rc.kind != kind {
			continue
		}
		tried++
		if tok.Method.Verify(signingInput, tok.Signature, rc.pub) == nil {
			tr.signer = rc
			return nil
		}
	}
	if tried == 0 {
		have := make([]string, len(c.certs))
		for i, rc := range c.certs {
			have[i] = rc.desc
		}
		return ErrInvalidClient.Describe("alg %s needs %s key; client %q has registered %s", alg, keyKindName(kind), c.ID, strings.Join(have, ", ")).at(journal.StageSignature)
	}
	x5ts := make([]string, 0, len(c.certs))
	for _, rc := range c.certs {
		if rc.kind == kind {
			x5ts = append(x5ts, rc.x5t)
		}
	}
	if n, ok := derSignature(alg, tok.Signature); ok {
		return ErrInvalidClient.Describe("client_assertion %s signature is %d bytes and is DER/ASN.1-encoded; JWS needs the raw r||s form (RFC 7518 §3.4) of %d bytes: convert it (Java: SHA384withECDSAinP1363Format, or ECDSA.transcodeSignatureToConcat)",
			alg, len(tok.Signature), n).at(journal.StageSignature)
	}
	msg := fmt.Sprintf("client_assertion signature does not verify with the %d registered %s certificate(s) of client %q (x5t %s); sign with the private key of a registered certificate",
		tried, alg, c.ID, strings.Join(x5ts, ", "))
	if hints := keyHints(tok.Header); hints != "" {
		msg += "; the header's " + hints + " are never used to find or fetch a key"
	}
	return ErrInvalidClient.Describe("%s", msg).at(journal.StageSignature)
}

// checkIssSub: iss = sub = client id (StageIssSub).
func (s *Server) checkIssSub(tr *tokenRequest) *Error {
	c, iss, sub := tr.client, tr.iss, tr.sub
	switch {
	case !tr.issOK || iss == "":
		return ErrInvalidClient.Describe("client_assertion iss is missing; want %q", c.ID).at(journal.StageIssSub)
	case !tr.subOK || sub == "":
		return ErrInvalidClient.Describe("client_assertion sub is missing; want %q", c.ID).at(journal.StageIssSub)
	case iss != sub:
		return ErrInvalidClient.Describe("client_assertion iss %q differs from sub %q; both must be the client id", truncate(iss, 120), truncate(sub, 120)).at(journal.StageIssSub)
	case sub != c.ID:
		return ErrInvalidClient.Describe("client_id form parameter %q differs from the assertion's sub %q; they must be equal", c.ID, truncate(sub, 120)).at(journal.StageIssSub)
	}
	return nil
}

// checkAud: aud is exactly the audience (StageAud).
func (s *Server) checkAud(tr *tokenRequest) *Error {
	if e := s.checkAudience(tr.claims["aud"], s.audience(tr.r), tr.r); e != nil {
		return e.at(journal.StageAud)
	}
	return nil
}

// checkTimes: exp present and not past (StageExp), the lifetime bounded
// (StageLifetime), iat and nbf not in the future (StageIatNbf).
func (s *Server) checkTimes(tr *tokenRequest) *Error {
	claims := tr.claims
	now := s.now()
	tr.now = now
	skew := s.cfg.ClockSkew
	exp, e := numericDate(claims, "exp", true)
	if e != nil {
		return e.at(journal.StageExp)
	}
	tr.exp = exp
	if !now.Before(exp.Add(skew)) {
		return ErrInvalidClient.Describe("client_assertion expired at %s, %s ago (server time %s; clock skew allowed %s)",
			exp.UTC().Format(time.RFC3339), secs(now.Sub(exp)), now.UTC().Format(time.RFC3339), secs(skew)).at(journal.StageExp)
	}
	iat, e := numericDate(claims, "iat", false)
	if e != nil {
		return e.at(journal.StageIatNbf)
	}
	nbf, e := numericDate(claims, "nbf", false)
	if e != nil {
		return e.at(journal.StageIatNbf)
	}
	if !iat.IsZero() {
		if life := exp.Sub(iat); life > s.cfg.MaxAssertionLifetime {
			return ErrInvalidClient.Describe("client_assertion exp is %s after iat; at most %s allowed%s", secs(life), secs(s.cfg.MaxAssertionLifetime), hourHint(life, skew)).at(journal.StageLifetime)
		}
	} else if life := exp.Sub(now); life > s.cfg.MaxAssertionLifetime+skew {
		return ErrInvalidClient.Describe("client_assertion exp is %s after now (server time %s, no iat); at most %s allowed (+%s clock skew)%s", secs(life), now.UTC().Format(time.RFC3339), secs(s.cfg.MaxAssertionLifetime), secs(skew), hourHint(life, skew)).at(journal.StageLifetime)
	}
	if !iat.IsZero() && iat.Sub(now) > skew {
		return ErrInvalidClient.Describe("client_assertion iat is %s in the future (server time %s; clock skew allowed %s)", secs(iat.Sub(now)), now.UTC().Format(time.RFC3339), secs(skew)).at(journal.StageIatNbf)
	}
	if !nbf.IsZero() && nbf.Sub(now) > skew {
		return ErrInvalidClient.Describe("client_assertion nbf is %s in the future (server time %s; clock skew allowed %s)", secs(nbf.Sub(now)), now.UTC().Format(time.RFC3339), secs(skew)).at(journal.StageIatNbf)
	}
	return nil
}

// checkJTI: jti present and never seen while it could be valid (StageJTI);
// the replay cache has room (StageCapacity).
func (s *Server) checkJTI(tr *tokenRequest) *Error {
	claims, c, now := tr.claims, tr.client, tr.now
	jti, ok := claims["jti"].(string)
	if !ok || jti == "" {
		if v, present := claims["jti"]; present && !ok {
			return ErrInvalidClient.Describe("client_assertion jti is a %s; want a unique string", jsonType(v)).at(journal.StageJTI)
		}
		return ErrInvalidClient.Describe("client_assertion jti is missing; each assertion needs a unique jti (RFC 7523 §3)").at(journal.StageJTI)
	}
	switch res, retryAt := s.replay.add(replayKey(c.ID, jti), now.UnixNano(), tr.exp.Add(s.cfg.ClockSkew).UnixNano()); res {
	case replaySeen:
		return ErrInvalidClient.Describe("client_assertion jti %q was already used by client %q; every assertion needs a new jti", truncate(jti, 80), c.ID).at(journal.StageJTI)
	case replayFull:
		e := ErrTemporarilyUnavailable.Describe("the replay cache holds %d assertions, its bound; retry when the oldest expires", s.cfg.MaxReplayEntries)
		e.retryAfter = max(time.Second, time.Duration(retryAt-now.UnixNano()))
		return e.at(journal.StageCapacity)
	}
	return nil
}

// checkScope: the scope parameter, if sent, lists scopes allowed for the
// client; else its default scopes (StageScope).
func (s *Server) checkScope(tr *tokenRequest) *Error {
	c := tr.client
	tr.scopes, tr.scopeStr = c.defaults, c.defaultStr
	if sc, ok := tr.form["scope"]; ok {
		var e *Error
		if tr.scopes, tr.scopeStr, e = checkScopes(c, sc[0]); e != nil {
			return e.at(journal.StageScope)
		}
	}
	return nil
}

// checkCertificate: the certificate that signed is valid now
// (StageCertificate).
func (s *Server) checkCertificate(tr *tokenRequest) *Error {
	signer, now := tr.signer, tr.now
	if now.Before(signer.cert.NotBefore) {
		return ErrInvalidClient.Describe("%s: the certificate that signed (CN %q, x5t %s) is not valid before %s (server time %s)",
			certgen.RuleNotYetValid, signer.cert.Subject.CommonName, signer.x5t, signer.cert.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)).at(journal.StageCertificate)
	}
	if now.After(signer.cert.NotAfter) {
		return ErrInvalidClient.Describe("%s: the certificate that signed (CN %q, x5t %s) expired at %s (server time %s)",
			certgen.RuleExpired, signer.cert.Subject.CommonName, signer.x5t, signer.cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)).at(journal.StageCertificate)
	}
	return nil
}

// checkDisabled: the client's REST channel is active (StageDisabled).
func (s *Server) checkDisabled(tr *tokenRequest) *Error {
	if tr.client.Disabled {
		return ErrUnauthorizedClient.Describe("client %q is disabled: its REST channel is not active", tr.client.ID).at(journal.StageDisabled)
	}
	return nil
}

// issue makes the access token (StageIssue).
func (s *Server) issue(tr *tokenRequest) (*tokenResponse, *Error) {
	g := s.grantFor(tr.client, tr.scopes, tr.scopeStr)
	at, err := s.newToken(g, s.issuer(s.audience(tr.r)), tr.now)
	if err != nil {
		s.cfg.Logger.Error("mockoauth: issue a token", "err", err)
		return nil, (&Error{Code: "server_error", Status: http.StatusInternalServerError}).Describe("cannot make a token: %v", err).at(journal.StageIssue)
	}
	tr.ev.Scopes = g.caller.Scopes
	return &tokenResponse{AccessToken: at, Scope: g.scopeStr, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second)}, nil
}

// checkContentType accepts application/x-www-form-urlencoded, optionally
// with charset UTF-8 (domain.md §1.2).
func checkContentType(ct string) *Error {
	if ct == "application/x-www-form-urlencoded" {
		return nil
	}
	if ct == "" {
		return ErrInvalidRequest.Describe("Content-Type is missing; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return ErrInvalidRequest.Describe("Content-Type is %q; want application/x-www-form-urlencoded (RFC 6749 §4.4.2)", truncate(ct, 80))
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return ErrInvalidRequest.Describe("Content-Type parameter %s=%q is not supported; want no parameter or charset=UTF-8", truncate(k, 40), truncate(v, 40))
		}
	}
	return nil
}

// mediaType is the media type of a Content-Type value, lower-case,
// without parameters.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// clientAuth names, for the journal, the client authentication a request
// tried besides client_assertion, in the order the checks look: a
// client_secret form field, then an Authorization header.
func clientAuth(authorization string, form url.Values) string {
	if _, ok := form["client_secret"]; ok {
		return journal.ClientAuthSecret
	}
	switch {
	case authorization == "":
		return ""
	case len(authorization) >= 6 && strings.EqualFold(authorization[:6], "basic "):
		return journal.ClientAuthBasic
	}
	return journal.ClientAuthOther
}

// readForm reads at most MaxFormBytes of body and parses it strictly.
func (s *Server) readForm(r *http.Request, buf *bytes.Buffer) (url.Values, *Error) {
	max := s.cfg.MaxFormBytes
	if r.ContentLength > int64(max) {
		return nil, ErrInvalidRequest.WithStatus(http.StatusRequestEntityTooLarge).Describe("request body is %d bytes; at most %d allowed", r.ContentLength, max)
	}
	if r.Body == nil {
		return nil, ErrInvalidRequest.Describe("request body is empty; want grant_type, client_assertion_type and client_assertion")
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return nil, ErrInvalidRequest.Describe("cannot read the request body: %v", err)
	}
	if n > int64(max) {
		return nil, ErrInvalidRequest.WithStatus(http.StatusRequestEntityTooLarge).Describe("request body is more than %d bytes; at most %d allowed", max, max)
	}
	return parseForm(buf.Bytes())
}

// parseForm parses a token request body strictly: valid
// application/x-www-form-urlencoded, UTF-8, and no parameter twice (RFC
// 6749 §3.2: "Request and response parameters MUST NOT be included more
// than once"). The *Error is an invalid_request naming the problem.
func parseForm(body []byte) (url.Values, *Error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrInvalidRequest.Describe("request body is empty; want grant_type, client_assertion_type and client_assertion")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, ErrInvalidRequest.Describe("request body is not application/x-www-form-urlencoded: %s", strings.TrimPrefix(err.Error(), "invalid URL escape "))
	}
	var dups []string
	for k, v := range form {
		if len(v) > 1 {
			dups = append(dups, fmt.Sprintf("%s (%d times)", truncate(k, 40), len(v)))
		}
		if !utf8.ValidString(k) || !allUTF8(v) {
			return nil, ErrInvalidRequest.Describe("parameter %q is not UTF-8", truncate(k, 40))
		}
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		return nil, ErrInvalidRequest.Describe("duplicate parameters: %s; each may appear once (RFC 6749 §3.2)", strings.Join(dups, ", "))
	}
	return form, nil
}

func hasOAuthParam(q url.Values) bool {
	for _, k := range []string{"grant_type", "client_assertion", "client_assertion_type", "client_id", "client_secret", "scope"} {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// parseAssertion decodes a client assertion's header and claims without
// verifying anything else, as the token endpoint does first. The *Error is
// an invalid_request naming the first problem.
func (s *Server) parseAssertion(assertion string) (header, claims map[string]any, _ *Error) {
	if len(assertion) > s.cfg.MaxAssertionBytes {
		return nil, nil, ErrInvalidRequest.Describe("client_assertion is %d bytes; at most %d allowed", len(assertion), s.cfg.MaxAssertionBytes)
	}
	mc := jwt.MapClaims{}
	tok, _, err := s.parser.ParseUnverified(assertion, mc)
	if err != nil && (tok == nil || tok.Header == nil || !errors.Is(err, jwt.ErrTokenUnverifiable)) {
		return nil, nil, s.diagnose(assertion)
	}
	return tok.Header, mc, nil
}

// diagnose names what makes assertion not a compact JWS; it is only called
// once the parser has refused it.
func (s *Server) diagnose(a string) *Error {
	parts := strings.Split(a, ".")
	switch {
	case len(parts) == 5:
		return ErrInvalidRequest.Describe("client_assertion has 5 segments, as a JWE; want a signed JWT, a compact JWS of 3 segments (header.payload.signature)")
	case len(parts) != 3:
		return ErrInvalidRequest.Describe("client_assertion has %d segment(s); a compact JWS has 3 (header.payload.signature, RFC 7515 §7.1)", len(parts))
	}
	names := [3]string{"header", "payload", "signature"}
	for i, p := range parts {
		b, err := s.parser.DecodeSegment(p)
		if err != nil {
			return ErrInvalidRequest.Describe("client_assertion %s is not base64url without padding (RFC 7515 §2): %v", names[i], err)
		}
		if i == 2 {
			break
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			return ErrInvalidRequest.Describe("client_assertion %s is not a JSON object", names[i])
		}
	}
	return ErrInvalidRequest.Describe("client_assertion is not a compact JWS")
}

func (s *Server) algError(alg string) *Error {
	allowed := strings.Join(s.cfg.Algorithms, ", ")
	switch {
	case strings.EqualFold(alg, "none"):
		return ErrInvalidClient.Describe("client_assertion alg %q (an unsigned JWT) is never accepted; sign with your registered certificate's key: %s", alg, allowed)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return ErrInvalidClient.Describe("client_assertion alg %s is a shared-secret (HMAC) algorithm; the portal verifies with your registered certificate's public key: want %s", truncate(alg, 20), allowed)
	}
	return ErrInvalidClient.Describe("client_assertion alg %q is not allowed; want %s", truncate(alg, 40), allowed)
}

func keyKindName(kind string) string {
	if kind == "RSA" {
		return "an RSA"
	}
	return "an EC " + kind
}

// keyHints lists the key-locating header parameters present.
func keyHints(h map[string]any) string {
	var present []string
	for _, k := range []string{"kid", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"} {
		if _, ok := h[k]; ok {
			present = append(present, k)
		}
	}
	return strings.Join(present, "/")
}

// audience is the value aud must hold for a request.
func (s *Server) audience(r *http.Request) string {
	if s.cfg.Audience != "" {
		return s.cfg.Audience
	}
	return s.ownTokenURL(r)
}

// ownTokenURL is the token endpoint's URL as the request reached it.
func (s *Server) ownTokenURL(r *http.Request) string {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host + s.cfg.TokenPath
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

// audHint explains the usual near misses: a typo-like difference, another
// environment's audience, an issuer where the token URL belongs.
func (s *Server) audHint(got, want string, r *http.Request) string {
	switch {
	case strings.TrimSuffix(got, "/") == want:
		return " (without the trailing slash)"
	case strings.EqualFold(got, want):
		return " (the case differs)"
	case strings.HasPrefix(got, "http://") && "https://"+strings.TrimPrefix(got, "http://") == want:
		return " (https, not http)"
	case strings.HasPrefix(got, "https://") && "http://"+strings.TrimPrefix(got, "https://") == want:
		return " (http, not https)"
	}
	if h := s.environmentHint(got, s.ownTokenURL(r)); h != "" {
		return h
	}
	if iss := strings.TrimSuffix(got, "/"); iss != "" && (iss == origin(want) || iss == s.cfg.Issuer) {
		return fmt.Sprintf(" (%q looks like an issuer; libraries such as openid-client and oauth4webapi put the issuer in aud by default — set it to the token URL)", truncate(got, 200))
	}
	if strings.Contains(got, "/oauth/v3/") || strings.Contains(got, "oauth.socialsecurity.be") || strings.Contains(got, "oauthacc.socialsecurity.be") {
		return " (that is the legacy v3 audience; v5 wants the v5 token URL)"
	}
	return ""
}

// hourHint names the usual cause of an assertion living about an hour.
func hourHint(life, skew time.Duration) string {
	if d := life - time.Hour; d < -max(skew, time.Second) || d > max(skew, time.Second) {
		return ""
	}
	return "; 3600 s is the default lifetime of several libraries (Authlib's among them): set exp explicitly"
}

// derSignature reports whether sig, refused for an ES* alg, is an ASN.1
// DER ECDSA-Sig-Value (SEQUENCE of the INTEGERs r and s) rather than the
// fixed-length r||s that JWS needs, and the length JWS wants.
func derSignature(alg string, sig []byte) (int, bool) {
	var size int
	switch alg {
	case "ES256":
		size = 32
	case "ES384":
		size = 48
	case "ES512":
		size = 66
	default:
		return 0, false
	}
	if len(sig) == 2*size {
		return 0, false
	}
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) > 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return 0, false
	}
	return 2 * size, true
}

// numericDate reads a NumericDate claim (RFC 7519 §2).
func numericDate(claims jwt.MapClaims, name string, required bool) (time.Time, *Error) {
	v, ok := claims[name]
	if !ok {
		if required {
			return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is missing; the portal requires it (at most 10 minutes ahead)", name)
		}
		return time.Time{}, nil
	}
	f, ok := v.(float64)
	if !ok {
		return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is a %s; want a NumericDate (seconds since 1970-01-01 UTC)", name, jsonType(v))
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, ErrInvalidClient.Describe("client_assertion %s is %v; want a NumericDate in seconds (milliseconds?)", name, f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// checkScopes splits a scope parameter (RFC 6749 §3.3) and checks every
// scope is allowed for c.
func checkScopes(c *client, s string) ([]string, string, *Error) {
	if s == "" {
		return nil, "", ErrInvalidScope.Describe("scope is empty; omit it to get the client's default scopes (%s)", c.defaultStr)
	}
	if s == c.defaultStr {
		return c.defaults, c.defaultStr, nil
	}
	var out []string
	for _, sc := range strings.Split(s, " ") {
		if !validScopeToken(sc) {
			return nil, "", ErrInvalidScope.Describe("scope %q is not a list of scope-tokens separated by single spaces (RFC 6749 §3.3)", truncate(s, 200))
		}
		if !c.allowed[sc] {
			return nil, "", ErrInvalidScope.Describe("scope %q is not allowed for client %q (quality %s); allowed: %s", truncate(sc, 120), c.ID, c.Quality, strings.Join(c.Scopes, " "))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, strings.Join(out, " "), nil
}

// describeRequest fills ev from a request answered by a fault, leniently.
func (s *Server) describeRequest(r *http.Request, ev *journal.Token) {
	if r.Body == nil {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, int64(s.cfg.MaxFormBytes)))
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return
	}
	ev.ClientAuth = clientAuth(r.Header.Get("Authorization"), form)
	ev.GrantType = form.Get("grant_type")
	ev.AssertionType = form.Get("client_assertion_type")
	ev.RequestScope = form.Get("scope")
	ev.ClientID = form.Get("client_id")
	if h, c, e := s.parseAssertion(form.Get("client_assertion")); e == nil {
		ev.Header, ev.Claims = h, c
		if ev.ClientID == "" {
			ev.ClientID, _ = c["sub"].(string)
		}
	}
}

func (s *Server) writeFault(w http.ResponseWriter, f Fault, ev *journal.Token) {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if f.Error != "" {
			status = http.StatusBadRequest
		}
	}
	code := f.Error
	if code == "" {
		code = "server_error"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	}
	body, _ := json.Marshal(&Error{Code: code, Description: f.Detail})
	if f.Malformed {
		body = body[:len(body)/2]
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	ev.Verdict, ev.Status, ev.Error, ev.Description = journal.VerdictInjected, status, code, f.Detail
	ev.Stage = journal.StageFault
	if f.Malformed {
		ev.Description = "malformed body: " + string(body)
	}
}

func writeError(w http.ResponseWriter, status int, e *Error, extra http.Header) {
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	body, _ := json.Marshal(e)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var (
	hdrJSON    = []string{"application/json;charset=UTF-8"}
	hdrNoStore = []string{"no-store"}
	hdrNoCache = []string{"no-cache"}
)

// writeToken writes the success body without reflection; the token is
// base64url and scopes are RFC 6749 scope-tokens, so neither needs escaping.
func writeToken(w http.ResponseWriter, t *tokenResponse) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	h["Pragma"] = hdrNoCache
	b := make([]byte, 0, 96+len(t.AccessToken)+len(t.Scope))
	b = append(b, `{"access_token":"`...)
	b = append(b, t.AccessToken...)
	b = append(b, `","scope":"`...)
	b = append(b, t.Scope...)
	b = append(b, `","token_type":"Bearer","expires_in":`...)
	b = strconv.AppendInt(b, int64(t.ExpiresIn), 10)
	b = append(b, '}')
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// secs formats a duration as whole seconds: "3600 s".
func secs(d time.Duration) string {
	return strconv.FormatInt(int64(math.Round(d.Seconds())), 10) + " s"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func allUTF8(v []string) bool {
	for _, s := range v {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
