package conformance

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// tokenRequestRules judge how the client asks for a token (RFC 6749, RFC 7523, seed §6.1).
var tokenRequestRules = []Rule{
	{OAuthForm, Must, AreaToken, "The token request is a form POST to the token URL", "RFC 6749 §3.2, §4.4.2; rest-documentation developer guide",
		"method POST, Content-Type application/x-www-form-urlencoded, path of the token URL, no OAuth parameter in the URL query", true, judgeForm},
	{OAuthGrant, Must, AreaToken, "grant_type is client_credentials", "RFC 6749 §4.4.2", "the grant_type form field", true, judgeGrant},
	{OAuthAssertion, Must, AreaToken, "client_assertion_type is the JWT bearer URN", "RFC 7523 §2.2; RFC 7521 §4.2",
		"client_assertion_type = urn:ietf:params:oauth:client-assertion-type:jwt-bearer", true, judgeAssertionType},
	{OAuthSecret, Must, AreaToken, "No client secret is sent", "rest-documentation: the Client Secret method (RFC 6749 §2.3.1) is not supported",
		"no client_secret form field, no HTTP Basic or other Authorization header on the token request", true, judgeSecret},
	{OAuthAlg, Must, AreaToken, "alg is an RSA or EC algorithm matching the key", "RFC 7518 §3.1; RFC 8725 §3.1; seed §6.1 (RS256)",
		"JWS header alg is RS*, PS* or ES* of the key's type; never none or HS*", true, judgeAlg},
	{OAuthSignature, Must, AreaToken, "The assertion is signed by the registered certificate's key", "RFC 7523 §3 item 9; seed §6.1",
		"the token endpoint verified the signature with a registered certificate", true, judgeSignature},
	{OAuthIssuer, Must, AreaToken, "iss = sub = client id, and so is client_id if sent", "RFC 7523 §3 items 1-2; RFC 7521 §4.2 (client_id); seed §6.1",
		"the assertion's iss and sub claims, and the client_id form field when the request has one", true, judgeIssuer},
	{OAuthAudience, Must, AreaToken, "aud is exactly the token URL", "RFC 7523 §3 item 3; seed §6.1",
		"the assertion's aud claim: the token URL, no trailing slash, no other value", true, judgeAudience},
	{OAuthExpiry, Must, AreaToken, "exp is present and at most 10 minutes after iat, or after the request when there is no iat", "seed §6.1; RFC 7523 §3 item 4",
		"exp − iat <= 600 s; without iat, exp − time of the request <= 600 s + 60 s clock skew; exp not past", true, judgeExpiry},
	{OAuthIssuedAt, Must, AreaToken, "iat, if present, is not in the future", "RFC 7523 §3 item 6 (iat MAY be sent); RFC 7519 §4.1.6; seed §6.1 (its example has no iat)",
		"iat absent, or a NumericDate <= time of the request + 60 s", true, judgeIssuedAt},
	{OAuthJTI, Must, AreaToken, "Every assertion has a fresh jti", "RFC 7523 §3 item 7", "jti present and never repeated across the run", true, judgeJTI},
	{OAuthScope, Must, AreaToken, "The scope, if sent, is the one of the client's quality", "seed §6.1",
		"the scope form field lists only the scopes registered for the client's quality", true, judgeScope},
}

func formRead(tk *journal.Token) bool {
	if tk.Method != "" && tk.Verdict != journal.VerdictInjected {
		return journal.Passed(tk.Stage, journal.StageQuery)
	}
	return tk.GrantType != "" || tk.AssertionType != "" || tk.Claims != nil || tk.Header != nil || tk.ClientID != ""
}

// tokenRequest is what the evidence says of one token request: how it was
// sent and which check of the token endpoint refused it.
type tokenRequest struct {
	// sent says method, contentType and clientAuth are known: the journal
	// recorded them, or the harness saw the request on the wire.
	sent        bool
	method      string
	contentType string // media type, lower-case, no parameters
	clientAuth  string // journal.ClientAuth*, or "" for none
	// stage is journal.Token.Stage; stageUnknown when an old journal's
	// refusal cannot be placed.
	stage string
}

const stageUnknown = "?"

// requestOf reads a token event. Journals written before the token
// endpoint recorded Method, ContentType, ClientAuth and Stage are read
// through the wire exchange, if any, and legacyStage.
func requestOf(t *Trace, ev journal.Event) tokenRequest {
	tk := ev.Token
	if tk.Method != "" {
		return tokenRequest{sent: true, method: tk.Method, contentType: tk.ContentType, clientAuth: tk.ClientAuth, stage: tk.Stage}
	}
	r := tokenRequest{}
	r.stage, r.clientAuth = legacyStage(tk)
	if x := t.exchange(ev.Seq); x != nil {
		r.sent, r.method = true, x.Method
		mt, _, _ := strings.Cut(x.ContentType, ";")
		r.contentType = strings.ToLower(strings.TrimSpace(mt))
		switch {
		case slices.Contains(x.FormKeys, "client_secret"):
			r.clientAuth = journal.ClientAuthSecret
		case strings.EqualFold(x.AuthScheme, "Basic"):
			r.clientAuth = journal.ClientAuthBasic
		case x.AuthScheme != "":
			r.clientAuth = journal.ClientAuthOther
		}
	}
	return r
}

// legacyStage places the refusal of a token request in a journal written
// before Token.Stage and Token.ClientAuth existed, from the error
// description of the mockoauth of that time, and says whether that
// description names a client secret or an Authorization header. It is the
// only reader of descriptions, and knows only the refusals the judges need.
func legacyStage(tk *journal.Token) (stage, clientAuth string) {
	d := strings.ToLower(tk.Description)
	has := func(subs ...string) bool {
		return slices.ContainsFunc(subs, func(s string) bool { return strings.Contains(d, s) })
	}
	if tk.Error == "invalid_request" {
		switch {
		case has("basic authentication"):
			clientAuth = journal.ClientAuthBasic
		case has("takes no authorization header"):
			clientAuth = journal.ClientAuthOther
		case has("client_secret"):
			clientAuth = journal.ClientAuthSecret
		}
	}
	return legacyStageOf(tk, has), clientAuth
}

func legacyStageOf(tk *journal.Token, has func(...string) bool) string {
	switch {
	case tk.Verdict == journal.VerdictGranted:
		return ""
	case tk.Verdict == journal.VerdictInjected:
		return journal.StageFault
	case tk.Error == "invalid_request" && has("method is"):
		return journal.StageMethod
	case tk.Error == "invalid_request" && has("content-type"):
		return journal.StageContentType
	case tk.Error == "invalid_request" && has("url query", "form body"):
		return journal.StageQuery
	case tk.Error == "invalid_request" && has("client_secret", "basic authentication", "takes no authorization header"):
		return journal.StageClientSecret
	case has("signature does not verify"):
		return journal.StageSignature
	case tk.Header == nil && has("compact jws", "segment", "base64url", "not a json object"):
		return journal.StageJWS
	case has("unknown client"):
		return journal.StageClient
	case has("aud "):
		return journal.StageAud
	case tk.Error == "invalid_scope":
		return journal.StageScope
	}
	return stageUnknown
}

func judgeForm(t *Trace) []Finding {
	var out []Finding
	for _, x := range t.Exchanges {
		if x.Server == "token" && x.Seq == 0 && t.Expect.TokenPath != "" && x.Path != t.Expect.TokenPath {
			out = append(out, fail("a request reached the token server outside the token URL",
				fmt.Sprintf("%s %s -> %d", x.Start.Format("15:04:05.000"), x.RequestLine(), x.Status)))
		}
	}
	for _, ev := range t.tokenEvents() {
		r := requestOf(t, ev)
		if !r.sent && r.stage == journal.StageFault {
			continue // answered by a planted fault, and how it was sent is unknown
		}
		switch {
		case r.sent && r.method != "POST":
			out = append(out, fail("the token request is a "+r.method+", not a POST", tokenEvidence(t, ev)...))
		case r.sent && r.contentType != formType:
			out = append(out, fail(fmt.Sprintf("the token request's media type is %q, not %s", r.contentType, formType), tokenEvidence(t, ev)...))
		case r.stage == journal.StageMethod || r.stage == journal.StageContentType:
			out = append(out, fail("the token request is not a form POST", tokenEvidence(t, ev)...))
		case r.stage == journal.StageQuery:
			out = append(out, fail("the token request has OAuth parameters in the URL query", tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("form POST"))
		}
	}
	return out
}

const formType = "application/x-www-form-urlencoded"

func judgeGrant(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		tk := ev.Token
		if tk.Verdict == journal.VerdictInjected || !formRead(tk) {
			continue
		}
		if tk.GrantType == "client_credentials" {
			out = append(out, pass("grant_type client_credentials"))
		} else {
			out = append(out, fail(fmt.Sprintf("grant_type is %q; want client_credentials", tk.GrantType), tokenEvidence(t, ev)...))
		}
	}
	return out
}

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

func judgeAssertionType(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		tk := ev.Token
		if tk.Verdict == journal.VerdictInjected || !formRead(tk) || tk.GrantType != "client_credentials" {
			continue
		}
		if tk.AssertionType == jwtBearer {
			out = append(out, pass("client_assertion_type jwt-bearer"))
		} else {
			out = append(out, fail(fmt.Sprintf("client_assertion_type is %q; want %s", tk.AssertionType, jwtBearer), tokenEvidence(t, ev)...))
		}
	}
	return out
}

func judgeSecret(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		r := requestOf(t, ev)
		if !r.sent && r.stage == journal.StageFault {
			continue // answered by a planted fault, and how it was sent is unknown
		}
		switch r.clientAuth {
		case journal.ClientAuthSecret:
			out = append(out, fail("the token request sends a client_secret", tokenEvidence(t, ev)...))
		case journal.ClientAuthBasic:
			out = append(out, fail("the token request sends HTTP Basic credentials (client_secret_basic)", tokenEvidence(t, ev)...))
		case "":
			out = append(out, pass("no client secret"))
		default:
			out = append(out, fail("the token request sends an Authorization header", tokenEvidence(t, ev)...))
		}
	}
	return out
}

// algsFor lists the JWS algorithms a key of the certificate can sign with.
func algsFor(t *Trace) []string {
	switch k := certKey(t); k {
	case "RSA":
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case "P-384":
		return []string{"ES384"}
	case "P-521":
		return []string{"ES512"}
	}
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
}

func certKey(t *Trace) string {
	if t.Expect.Cert == nil {
		return ""
	}
	switch k := t.Expect.Cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return k.Curve.Params().Name
	}
	return "other"
}

func judgeAlg(t *Trace) []Finding {
	var out []Finding
	allowed := algsFor(t)
	for _, ev := range t.tokenEvents() {
		tk := ev.Token
		if tk.Header == nil {
			continue
		}
		alg, _ := tk.Header["alg"].(string)
		switch {
		case slices.Contains(allowed, alg):
			out = append(out, pass("alg "+alg))
		case t.Expect.Cert != nil:
			out = append(out, fail(fmt.Sprintf("alg is %q; a %s key signs with one of %s", alg, certKey(t), strings.Join(allowed, ", ")), tokenEvidence(t, ev)...))
		default:
			out = append(out, fail(fmt.Sprintf("alg is %q; want an RSA or EC algorithm (never none or HS*)", alg), tokenEvidence(t, ev)...))
		}
	}
	return out
}

func judgeSignature(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		switch stage := requestOf(t, ev).stage; {
		case stage == journal.StageSignature:
			out = append(out, fail("the signature does not verify with a registered certificate of a key type alg names", tokenEvidence(t, ev)...))
		case stage == journal.StageJWS:
			out = append(out, fail("client_assertion is missing, too large or not a compact JWS", tokenEvidence(t, ev)...))
		case stage == "":
			out = append(out, pass("signature verified"))
		case journal.Passed(stage, journal.StageSignature):
			out = append(out, pass("signature verified (refused later, at check "+stage+")"))
		}
	}
	return out
}

func judgeIssuer(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		c := ev.Token.Claims
		if c == nil {
			continue
		}
		iss, _ := c["iss"].(string)
		sub, _ := c["sub"].(string)
		stage := requestOf(t, ev).stage
		switch {
		case iss == "" || sub == "":
			out = append(out, fail(fmt.Sprintf("iss %q or sub %q is missing", iss, sub), tokenEvidence(t, ev)...))
		case iss != sub:
			out = append(out, fail(fmt.Sprintf("iss %q differs from sub %q", iss, sub), tokenEvidence(t, ev)...))
		case formClientID(ev.Token) != "":
			out = append(out, fail(fmt.Sprintf("the client_id form field is %q, but iss and sub are %q: the token endpoint looks the client up by client_id", formClientID(ev.Token), iss),
				tokenEvidence(t, ev)...))
		case t.Expect.ClientID != "" && iss != t.Expect.ClientID:
			out = append(out, fail(fmt.Sprintf("iss and sub are %q; the client id is %q", iss, t.Expect.ClientID), tokenEvidence(t, ev)...))
		case t.Expect.ClientID == "" && stage == journal.StageClient:
			out = append(out, fail(fmt.Sprintf("iss and sub %q name no registered client", iss), tokenEvidence(t, ev)...))
		case stage == journal.StageIssSub:
			out = append(out, fail(fmt.Sprintf("iss and sub are %q, but the token endpoint found them to differ from the client id", iss), tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("iss = sub = "+iss))
		}
	}
	return out
}

// formClientID returns the client_id form field of a token request when it
// differs from the assertion's sub (or, without sub, its iss): the journal
// records the client as the token endpoint looked it up, by client_id when
// one was sent, else by sub, else by iss.
func formClientID(tk *journal.Token) string {
	if tk.Claims == nil || tk.ClientID == "" {
		return ""
	}
	sub, _ := tk.Claims["sub"].(string)
	iss, _ := tk.Claims["iss"].(string)
	if tk.ClientID == sub || (sub == "" && tk.ClientID == iss) {
		return ""
	}
	return tk.ClientID
}

func judgeAudience(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		c := ev.Token.Claims
		if c == nil {
			continue
		}
		var auds []string
		switch v := c["aud"].(type) {
		case string:
			auds = []string{v}
		case []any:
			for _, x := range v {
				s, _ := x.(string)
				auds = append(auds, s)
			}
		}
		want := t.Expect.TokenURL
		stage := requestOf(t, ev).stage
		switch {
		case len(auds) == 0:
			out = append(out, fail("aud is missing or not a string", tokenEvidence(t, ev)...))
		case len(auds) > 1:
			out = append(out, fail(fmt.Sprintf("aud has %d values; want only the token URL", len(auds)), tokenEvidence(t, ev)...))
		case want != "" && auds[0] != want:
			out = append(out, fail(fmt.Sprintf("aud is %q; want exactly %q", auds[0], want), tokenEvidence(t, ev)...))
		case want == "" && stage == journal.StageAud:
			out = append(out, fail(fmt.Sprintf("aud %q is not the token URL", auds[0]), tokenEvidence(t, ev)...))
		case want == "" && !journal.Passed(stage, journal.StageAud):
			// unknown token URL and no verdict on aud: cannot tell
		default:
			out = append(out, pass("aud "+auds[0]))
		}
	}
	return out
}

func judgeExpiry(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		c := ev.Token.Claims
		if c == nil {
			continue
		}
		exp, ok := numeric(c, "exp")
		if !ok {
			out = append(out, fail("exp is missing or not a NumericDate", tokenEvidence(t, ev)...))
			continue
		}
		base, what := ev.Time, "the request"
		if iat, ok := numeric(c, "iat"); ok {
			base, what = iat, "iat"
		}
		life := exp.Sub(base)
		switch {
		case life > MaxAssertionLifetime*time.Second+skewFor(what):
			out = append(out, fail(fmt.Sprintf("exp is %s after %s; at most %ds allowed", life.Round(time.Second), what, MaxAssertionLifetime), tokenEvidence(t, ev)...))
		case exp.Before(ev.Time.Add(-ClockSkew * time.Second)):
			out = append(out, fail(fmt.Sprintf("the assertion had expired %s before the request", ev.Time.Sub(exp).Round(time.Second)), tokenEvidence(t, ev)...))
		default:
			out = append(out, pass(fmt.Sprintf("exp %s after %s", life.Round(time.Second), what)))
		}
	}
	return out
}

func skewFor(base string) time.Duration {
	if base == "iat" {
		return 0
	}
	return ClockSkew * time.Second
}

func judgeIssuedAt(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		c := ev.Token.Claims
		if c == nil {
			continue
		}
		iat, ok := numeric(c, "iat")
		_, present := c["iat"]
		switch {
		case !present:
			out = append(out, pass("no iat: optional (RFC 7523 §3 item 6); exp is judged against the time of the request"))
		case !ok:
			out = append(out, fail("iat is not a NumericDate", tokenEvidence(t, ev)...))
		case iat.Sub(ev.Time) > ClockSkew*time.Second:
			out = append(out, fail(fmt.Sprintf("iat is %s in the future", iat.Sub(ev.Time).Round(time.Second)), tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("iat not in the future"))
		}
	}
	return out
}

func judgeJTI(t *Trace) []Finding {
	var out []Finding
	seen := map[string]journal.Event{}
	for _, ev := range t.tokenEvents() {
		c := ev.Token.Claims
		if c == nil {
			continue
		}
		jti, _ := c["jti"].(string)
		key := ev.Token.ClientID + "\x00" + jti
		switch first, dup := seen[key]; {
		case jti == "":
			out = append(out, fail("jti is missing", tokenEvidence(t, ev)...))
		case dup:
			ev2 := append(tokenEvidence(t, ev), fmt.Sprintf("first used by request #%d at %s", first.Seq, first.Time.Format("15:04:05.000")))
			out = append(out, fail(fmt.Sprintf("jti %q was already used", clip(jti, 60)), ev2...))
		default:
			seen[key] = ev
			out = append(out, pass("fresh jti"))
		}
	}
	return out
}

func judgeScope(t *Trace) []Finding {
	var out []Finding
	for _, ev := range t.tokenEvents() {
		tk := ev.Token
		if !formRead(tk) || tk.Verdict == journal.VerdictInjected {
			continue
		}
		sent := strings.Fields(tk.RequestScope)
		var bad []string
		if t.Expect.Scopes != nil {
			for _, s := range sent {
				if !slices.Contains(t.Expect.Scopes, s) {
					bad = append(bad, s)
				}
			}
		}
		switch {
		case len(bad) > 0:
			out = append(out, fail(fmt.Sprintf("scope %q is not one of the client's quality (%s)", strings.Join(bad, " "), strings.Join(t.Expect.Scopes, " ")), tokenEvidence(t, ev)...))
		case tk.RequestScope == "":
			// Sent empty or not at all: the same (RFC 6749 §3.2), whatever
			// an older token endpoint answered to scope= empty.
			out = append(out, pass("no scope: the client's default"))
		case requestOf(t, ev).stage == journal.StageScope:
			out = append(out, fail("the token endpoint refused the scope", tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("scope "+tk.RequestScope))
		}
	}
	return out
}
