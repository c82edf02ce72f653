package mockoauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/redact"
	"github.com/flamock/flamock/store"
)

// checkMethod: POST only (StageMethod).
func checkMethod(r *http.Request) *Error {
	if r.Method != http.MethodPost {
		return ErrInvalidRequest.WithStatus(http.StatusMethodNotAllowed).Describe("method is %s; the token endpoint takes POST (RFC 6749 §3.2)", r.Method).at(journal.StageMethod)
	}
	return nil
}

// checkForm reads and parses the body (StageForm).
func (s *Server) checkForm(tr *tokenRequest) *Error {
	form, oerr := s.readForm(tr.r, tr.body())
	if oerr != nil {
		return oerr.at(journal.StageForm)
	}
	tr.form = form
	tr.clientAuth = clientAuth(tr.r.Header.Get("Authorization"), form)
	return nil
}

// checkQuery refuses OAuth parameters in the URL query (StageQuery), then
// takes the form's parameters.
func (s *Server) checkQuery(tr *tokenRequest) *Error {
	r := tr.r
	if r.URL.RawQuery != "" {
		if q, err := url.ParseQuery(r.URL.RawQuery); err != nil || hasOAuthParam(omitEmpty(q)) {
			if _, ok := q["client_secret"]; ok && tr.clientAuth == "" {
				tr.clientAuth = journal.ClientAuthSecret
			}
			// The query is echoed with its secrets hidden: a client secret
			// or assertion sent there must not reach the journal or logs.
			shown, _ := redact.Query(r.URL.RawQuery)
			return ErrInvalidRequest.Describe("token request parameters belong in the form body, not in the URL query %q (RFC 6749 §3.2)", truncate(shown, 80)).at(journal.StageQuery)
		}
	}
	tr.takeParams(tr.form)
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
	switch tr.clientAuth {
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
// header and claims decode (StageJWS).
func (s *Server) decodeAssertion(tr *tokenRequest) *Error {
	tr.assertion = tr.form.Get("client_assertion")
	if tr.assertion == "" {
		return ErrInvalidRequest.Describe("client_assertion is missing; want a JWT signed with the key of your registered certificate").at(journal.StageJWS)
	}
	d, e := s.decodeJWS(tr.assertion)
	if e != nil {
		if d.tok != nil {
			tr.header = d.tok.Header
		}
		return e.at(journal.StageJWS)
	}
	tr.tok, tr.parts, tr.parseErr = d.tok, d.parts, d.parseErr
	claims := d.claims
	tr.header, tr.claims = d.tok.Header, claims
	tr.sub, tr.subOK = claims["sub"].(string)
	tr.iss, tr.issOK = claims["iss"].(string)
	if tr.clientID == "" {
		tr.clientID = tr.sub
		if tr.clientID == "" {
			tr.clientID = tr.iss
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
	id := tr.clientID
	if _, ok := claims["sub"]; ok && !tr.subOK {
		return ErrInvalidClient.Describe("client_assertion sub is a %s; want the client id as a string", jsonType(claims["sub"])).at(journal.StageClient)
	}
	if _, ok := claims["iss"]; ok && !tr.issOK {
		return ErrInvalidClient.Describe("client_assertion iss is a %s; want the client id as a string", jsonType(claims["iss"])).at(journal.StageClient)
	}
	if id == "" {
		return ErrInvalidClient.Describe("client_assertion has neither sub nor iss; both must be your client id").at(journal.StageClient)
	}
	c, err := s.lookup(tr.r.Context(), id)
	if err != nil {
		// Never a stale answer: no client is accepted or refused unchecked.
		e := ErrTemporarilyUnavailable.Describe("the client registry cannot be reached, so client %q cannot be checked: %v", truncate(id, 120), err)
		e.retryAfter = storeRetry(err)
		return e.at(journal.StageClient)
	}
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
	want := s.audience(tr.r)
	if s.cfg.Audience == "" {
		if got, ok := oneAudience(tr.claims["aud"]); ok && s.ownTokenURLAt(got, tr.r) {
			want = got
		}
	}
	if e := s.checkAudience(tr.claims["aud"], want, tr.r); e != nil {
		return e.at(journal.StageAud)
	}
	tr.aud = want
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
			return ErrInvalidClient.Describe("client_assertion exp is %s%s after iat; at most %s allowed%s", secs(life), about(life), secs(s.cfg.MaxAssertionLifetime), lifetimeHint(life, skew)).at(journal.StageLifetime)
		}
	} else if life := exp.Sub(now); life > s.cfg.MaxAssertionLifetime+skew {
		return ErrInvalidClient.Describe("client_assertion exp is %s%s after now (server time %s, no iat); at most %s allowed (+%s clock skew)%s", secs(life), about(life), now.UTC().Format(time.RFC3339), secs(s.cfg.MaxAssertionLifetime), secs(skew), lifetimeHint(life, skew)).at(journal.StageLifetime)
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
	err := s.replay.Add(tr.r.Context(), c.ID, jti, now, tr.exp.Add(s.cfg.ClockSkew))
	var full *store.CapacityError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrReplayed):
		return ErrInvalidClient.Describe("client_assertion jti %q was already used by client %q; every assertion needs a new jti", truncate(jti, 80), c.ID).at(journal.StageJTI)
	case errors.As(err, &full) && s.cfg.Replay == nil:
		e := ErrTemporarilyUnavailable.Describe("the replay cache holds %d assertions, its bound; retry when the oldest expires", s.cfg.MaxReplayEntries)
		e.retryAfter = max(time.Second, full.RetryAt.Sub(now))
		return e.at(journal.StageCapacity)
	case errors.As(err, &full):
		e := ErrTemporarilyUnavailable.Describe("the replay cache is full; retry when the oldest assertion expires")
		e.retryAfter = max(time.Second, full.RetryAt.Sub(now))
		return e.at(journal.StageCapacity)
	}
	// The jti could not be recorded: refused, never accepted unchecked.
	e := ErrTemporarilyUnavailable.Describe("the replay cache cannot be reached, so the jti cannot be checked: %v", err)
	e.retryAfter = storeRetry(err)
	return e.at(journal.StageCapacity)
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
	at, err := s.newToken(g, s.issuer(tr.aud), tr.now)
	if err != nil {
		s.cfg.Logger.Error("mockoauth: issue a token", "err", err)
		return nil, (&Error{Code: "server_error", Status: http.StatusInternalServerError}).Describe("cannot make a token: %v", err).at(journal.StageIssue)
	}
	tr.granted = g.caller.Scopes
	return &tokenResponse{AccessToken: at, Scope: g.scopeStr, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second)}, nil
}
