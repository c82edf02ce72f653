package conformance

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
)

// Finding is one judgement of one rule on one piece of evidence.
type Finding struct {
	Rule     string   `json:"rule"`
	Scenario string   `json:"scenario,omitempty"`
	Pass     bool     `json:"pass"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
}

type judge func(t *Trace) []Finding

// judges decide the rules from a trace. The certificate rules are decided
// from the certificate alone (judgeCertificate).
var judges = map[string]judge{
	OAuthForm:      judgeForm,
	OAuthGrant:     judgeGrant,
	OAuthAssertion: judgeAssertionType,
	OAuthSecret:    judgeSecret,
	OAuthAlg:       judgeAlg,
	OAuthSignature: judgeSignature,
	OAuthIssuer:    judgeIssuer,
	OAuthAudience:  judgeAudience,
	OAuthExpiry:    judgeExpiry,
	OAuthIssuedAt:  judgeIssuedAt,
	OAuthJTI:       judgeJTI,
	OAuthScope:     judgeScope,
	TokenHeader:    judgeHeader,
	TokenReuse:     judgeReuse,
	TokenRenew:     judgeRenew,
	TokenRetry:     judgeRetry401,
	APISchema:      judgeLayer(APISchema, "the request", "route", "body", "schema"),
	APIIdentifier:  judgeLayer(APIIdentifier, "the identifiers", "identifiers"),
	APITenant:      judgeTenant,
	APINoRetry:     judgeNoRetry,
	APIRetryAfter:  judgeRetryAfter,
	APIBounded:     judgeBounded,
	APIBackoff:     judgeBackoff,
	APIDetail:      judgeDetail,
	TLSVerify:      judgeTLS,
	RunExit:        judgeExit,
	RunResult:      judgeResults,
}

// Judge decides every rule it can from t and returns the findings.
func Judge(t *Trace) []Finding {
	var out []Finding
	for _, r := range catalogue {
		j := judges[r.ID]
		if j == nil || !t.judges(r.ID) {
			continue
		}
		for _, f := range j(t) {
			f.Rule, f.Scenario = r.ID, t.Scenario
			out = append(out, f)
		}
	}
	return out
}

func pass(msg string, ev ...string) Finding { return Finding{Pass: true, Message: msg, Evidence: ev} }
func fail(msg string, ev ...string) Finding { return Finding{Message: msg, Evidence: ev} }

// ---- evidence

func tokenEvidence(t *Trace, ev journal.Event) []string {
	tk := ev.Token
	var out []string
	line := "POST token endpoint"
	if x := t.exchange(ev.Seq); x != nil {
		line = x.RequestLine()
		if x.ContentType != "" {
			line += " (Content-Type " + x.ContentType + ")"
		}
	} else if tk.Method != "" {
		line = tk.Method + " token endpoint"
		if tk.ContentType != "" {
			line += " (Content-Type " + tk.ContentType + ")"
		}
	}
	if tk.ClientAuth != "" {
		line += " with client authentication " + tk.ClientAuth
	}
	line += fmt.Sprintf(" -> %d", tk.Status)
	if tk.Error != "" {
		line += " " + tk.Error
	}
	if tk.Stage != "" && tk.Verdict == journal.VerdictRefused {
		line += " (check " + tk.Stage + ")"
	}
	if tk.Description != "" {
		line += ": " + tk.Description
	}
	out = append(out, fmt.Sprintf("#%d %s %s", ev.Seq, ev.Time.Format("15:04:05.000"), line))
	if tk.Header != nil {
		out = append(out, "assertion header: "+compactJSON(tk.Header))
	}
	if tk.Claims != nil {
		out = append(out, "assertion claims: "+compactJSON(tk.Claims)+claimTimes(tk.Claims, ev.Time))
	}
	if tk.RequestScope != "" {
		out = append(out, "scope: "+tk.RequestScope)
	}
	return out
}

// claimTimes explains the NumericDate claims relative to the request time.
func claimTimes(c map[string]any, at time.Time) string {
	var parts []string
	for _, name := range []string{"iat", "nbf", "exp"} {
		if v, ok := numeric(c, name); ok {
			parts = append(parts, fmt.Sprintf("%s = request %+ds", name, int(math.Round(v.Sub(at).Seconds()))))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func apiEvidence(c call) []string {
	a := c.ev.API
	line := a.Method + " " + a.Path
	if a.Query != "" {
		line += "?" + redactQuery(a.Query)
	}
	if c.x != nil && c.x.AuthScheme != "" {
		line += " (Authorization: " + c.x.AuthScheme + " …)"
	}
	line += fmt.Sprintf(" -> %d", a.Status)
	if a.ProblemType != "" {
		line += " " + a.ProblemType
	}
	if a.Fault != "" {
		line += " [injected: " + a.Fault + "]"
	}
	out := []string{fmt.Sprintf("#%d %s %s", c.ev.Seq, c.start().Format("15:04:05.000"), line)}
	for _, l := range a.Layers {
		if l.Verdict == "fail" {
			out = append(out, "  "+l.Name+": "+clip(l.Detail, 300))
		}
	}
	for _, is := range a.Issues {
		out = append(out, "  issue: "+clip(is, 200))
	}
	if c.x != nil && len(c.x.Body) > 0 && a.Status >= 400 {
		out = append(out, "  response: "+clip(string(c.x.Body), 400))
	}
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func numeric(c map[string]any, name string) (time.Time, bool) {
	f, ok := c[name].(float64)
	if !ok {
		if n, isNum := c[name].(json.Number); isNum {
			var err error
			if f, err = n.Float64(); err != nil {
				return time.Time{}, false
			}
		} else {
			return time.Time{}, false
		}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// formRead says the token endpoint got as far as reading the form.
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

// ---- token request

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
		case t.Expect.ClientID != "" && iss != t.Expect.ClientID:
			out = append(out, fail(fmt.Sprintf("iss and sub are %q; the client id is %q", iss, t.Expect.ClientID), tokenEvidence(t, ev)...))
		case t.Expect.ClientID == "" && stage == journal.StageClient:
			out = append(out, fail(fmt.Sprintf("iss and sub %q name no registered client", iss), tokenEvidence(t, ev)...))
		case stage == journal.StageIssSub:
			out = append(out, fail(fmt.Sprintf("iss and sub are %q, but the client_id form field names client %q", iss, ev.Token.ClientID), tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("iss = sub = "+iss))
		}
	}
	return out
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
		switch {
		case !ok:
			out = append(out, fail("iat is missing or not a NumericDate", tokenEvidence(t, ev)...))
		case iat.Sub(ev.Time) > ClockSkew*time.Second:
			out = append(out, fail(fmt.Sprintf("iat is %s in the future", iat.Sub(ev.Time).Round(time.Second)), tokenEvidence(t, ev)...))
		default:
			out = append(out, pass("iat present"))
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
		case requestOf(t, ev).stage == journal.StageScope:
			out = append(out, fail("the token endpoint refused the scope", tokenEvidence(t, ev)...))
		case len(sent) == 0:
			out = append(out, pass("no scope: the client's default"))
		default:
			out = append(out, pass("scope "+tk.RequestScope))
		}
	}
	return out
}

// ---- token use

func judgeHeader(t *Trace) []Finding {
	var out []Finding
	for _, c := range t.apiCalls() {
		a := c.api()
		switch {
		case a.TokenInQuery || queryHasToken(a.Query): // queryHasToken: journals before TokenInQuery
			out = append(out, fail("the access token is in the URL query", apiEvidence(c)...))
		case c.x != nil && !strings.EqualFold(c.x.AuthScheme, "Bearer"):
			out = append(out, fail("the call has no Authorization: Bearer header", apiEvidence(c)...))
		case c.x == nil && a.Fault == "" && a.ProblemType == "urn:problem-type:belgif:noAccessToken":
			out = append(out, fail("the call has no Authorization: Bearer header", apiEvidence(c)...))
		default:
			out = append(out, pass("Authorization: Bearer"))
		}
	}
	return out
}

// grantState follows the access tokens of a trace.
type grantState struct {
	ev      journal.Event
	expires time.Time
	spoiled bool // got a 401
	uses    int
}

func judgeReuse(t *Trace) []Finding {
	var out []Finding
	var cur *grantState
	const margin = 60 * time.Second
	for _, ev := range t.Events {
		switch {
		case ev.Kind == journal.KindToken && ev.Token != nil:
			if cur != nil && !cur.spoiled && ev.Time.Before(cur.expires.Add(-margin)) {
				ev2 := append(tokenEvidence(t, ev), fmt.Sprintf("the token granted by request #%d at %s was valid until %s, used %d time(s), never refused",
					cur.ev.Seq, cur.ev.Time.Format("15:04:05.000"), cur.expires.Format("15:04:05"), cur.uses))
				out = append(out, fail("a new token was requested while the last one was still valid", ev2...))
				cur.spoiled = true // one finding per superfluous token
			}
			if ev.Token.Verdict == journal.VerdictGranted {
				if cur != nil && cur.uses > 1 {
					out = append(out, pass(fmt.Sprintf("token used for %d calls", cur.uses)))
				}
				cur = &grantState{ev: ev, expires: ev.Time.Add(time.Duration(ev.Token.ExpiresIn) * time.Second)}
			}
		case ev.Kind == journal.KindAPI && ev.API != nil && cur != nil:
			a := ev.API
			if a.Fingerprint == cur.ev.Token.Fingerprint || a.Fingerprint == "" {
				if a.Fingerprint != "" {
					cur.uses++
				}
				if a.Status == 401 {
					cur.spoiled = true
				}
			}
		}
	}
	if cur != nil && cur.uses > 1 {
		out = append(out, pass(fmt.Sprintf("token used for %d calls", cur.uses)))
	}
	return out
}

// after401 looks at what followed call k of sequence s.
func judgeRenew(t *Trace) []Finding {
	var out []Finding
	seqs := t.sequences()
	for si, s := range seqs {
		for k, c := range s.calls {
			if c.api().Status != 401 {
				continue
			}
			// A 401 on the retry that followed a renewal ends the
			// operation: TOKEN-RETRY-01 judges what comes after it.
			if k > 0 && s.calls[k-1].api().Status == 401 && len(s.tokens[k-1]) > 0 {
				continue
			}
			toks := s.tokens[k]
			var next *call
			if k+1 < len(s.calls) {
				next = &s.calls[k+1]
			} else if si+1 < len(seqs) {
				next = &seqs[si+1].calls[0]
			}
			ev := apiEvidence(c)
			switch {
			case len(toks) == 0 && next == nil:
				out = append(out, fail("after the 401 the client neither got a new token nor retried", ev...))
			case len(toks) == 0:
				out = append(out, fail("after the 401 the next call came without a new token", append(ev, apiEvidence(*next)...)...))
			case toks[len(toks)-1].Token.Verdict != journal.VerdictGranted:
				out = append(out, pass("renewal attempted after the 401 (refused, so no retry)"))
			case k+1 < len(s.calls):
				fp := toks[len(toks)-1].Token.Fingerprint
				if nf := s.calls[k+1].api().Fingerprint; nf != "" && fp != "" && nf != fp {
					out = append(out, fail("the retry did not use the new token", append(ev, apiEvidence(s.calls[k+1])...)...))
				} else {
					out = append(out, pass("renewed and retried after the 401"))
				}
			default:
				out = append(out, fail("after the 401 the client got a new token but did not retry the call", ev...))
			}
		}
	}
	return out
}

func judgeRetry401(t *Trace) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		n401, failed := 0, false
		for k, c := range s.calls {
			if c.api().Status != 401 {
				continue
			}
			n401++
			if renewals := len(s.tokens[k]); renewals > 1 && k+1 < len(s.calls) {
				out = append(out, fail(fmt.Sprintf("%d token requests between the 401 and the retry; one renewal is enough", renewals), apiEvidence(c)...))
				failed = true
			}
			if n401 >= 2 && k+1 < len(s.calls) {
				var ev []string
				for _, c2 := range s.calls {
					ev = append(ev, apiEvidence(c2)...)
				}
				out = append(out, fail(fmt.Sprintf("the call was retried again after the retry with a renewed token got a 401 too (%d calls)", len(s.calls)), ev...))
				failed = true
				break
			}
		}
		if n401 > 0 && !failed {
			out = append(out, pass(fmt.Sprintf("%d call(s) after %d 401(s)", len(s.calls), n401)))
		}
	}
	return out
}

// ---- API

func judgeLayer(rule, what string, layers ...string) judge {
	return func(t *Trace) []Finding {
		var out []Finding
		for _, c := range t.apiCalls() {
			for _, l := range c.api().Layers {
				if !slices.Contains(layers, l.Name) {
					continue
				}
				if l.Verdict == "fail" {
					out = append(out, fail(what+" of the call did not pass the mock's "+l.Name+" check", apiEvidence(c)...))
				} else {
					out = append(out, pass(l.Name+" passed"))
				}
			}
		}
		return out
	}
}

func judgeTenant(t *Trace) []Finding {
	var out []Finding
	for _, c := range t.apiCalls() {
		a := c.api()
		for _, l := range a.Layers {
			if l.Name != "tenant" {
				continue
			}
			if l.Verdict == "fail" {
				out = append(out, fail("the client called for an employer it may not act for", apiEvidence(c)...))
			} else {
				out = append(out, pass("tenant "+l.Detail))
			}
		}
	}
	return out
}

func isRetriable(status int) bool { return status == 429 || status == 503 }
func isServerErr(status int) bool { return status == 500 || status == 502 || status == 504 }

func judgeNoRetry(t *Trace) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		for k, c := range s.calls {
			st := c.api().Status
			if st != 400 && st != 403 && st != 404 {
				continue
			}
			if k+1 < len(s.calls) {
				var ev []string
				for _, c2 := range s.calls[k:] {
					ev = append(ev, apiEvidence(c2)...)
				}
				out = append(out, fail(fmt.Sprintf("the call was repeated after a %d (%d more time(s))", st, len(s.calls)-k-1), ev...))
			} else {
				out = append(out, pass(fmt.Sprintf("%d not retried", st)))
			}
			break
		}
	}
	return out
}

// retryAfter returns the Retry-After of a call's answer, in seconds.
func retryAfter(c call) (float64, bool) {
	if c.x != nil && c.x.RetryAfter != "" {
		var n float64
		if _, err := fmt.Sscan(c.x.RetryAfter, &n); err == nil {
			return n, true
		}
		if at, err := time.Parse(time.RFC1123, c.x.RetryAfter); err == nil {
			return at.Sub(c.end()).Seconds(), true
		}
	}
	if f := c.api().Fault; f != "" {
		if i := strings.Index(f, "Retry-After "); i >= 0 {
			var n float64
			if _, err := fmt.Sscan(f[i+len("Retry-After "):], &n); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

func judgeRetryAfter(t *Trace) []Finding {
	var out []Finding
	const tolerance = 100 * time.Millisecond
	for _, s := range t.sequences() {
		for k, c := range s.calls {
			if !isRetriable(c.api().Status) || k+1 >= len(s.calls) {
				continue
			}
			ra, ok := retryAfter(c)
			if !ok {
				continue
			}
			next := s.calls[k+1]
			gap := next.start().Sub(c.end())
			want := time.Duration(ra * float64(time.Second))
			if gap+tolerance < want {
				out = append(out, fail(fmt.Sprintf("retried %s after a %d with Retry-After %gs", gap.Round(time.Millisecond), c.api().Status, ra),
					append(apiEvidence(c), apiEvidence(next)...)...))
			} else {
				out = append(out, pass(fmt.Sprintf("waited %s for Retry-After %gs", gap.Round(time.Millisecond), ra)))
			}
		}
	}
	return out
}

func judgeBounded(t *Trace) []Finding {
	return judgeRetryCount(t, isRetriable, "429 or 503")
}

func judgeRetryCount(t *Trace, match func(int) bool, what string) []Finding {
	var out []Finding
	for _, s := range t.sequences() {
		retries, seen := 0, false
		for k, c := range s.calls {
			if !match(c.api().Status) {
				continue
			}
			seen = true
			if k+1 < len(s.calls) {
				retries++
			}
		}
		if !seen {
			continue
		}
		if retries > MaxRetries {
			var ev []string
			for _, c := range s.calls {
				ev = append(ev, apiEvidence(c)...)
			}
			out = append(out, fail(fmt.Sprintf("%d retries after %s; at most %d", retries, what, MaxRetries), ev...))
		} else {
			out = append(out, pass(fmt.Sprintf("%d retries after %s", retries, what)))
		}
	}
	return out
}

func judgeBackoff(t *Trace) []Finding {
	out := judgeRetryCount(t, isServerErr, "a server error")
	for _, s := range t.sequences() {
		var prev time.Duration
		for k, c := range s.calls {
			if !isServerErr(c.api().Status) || k+1 >= len(s.calls) {
				continue
			}
			next := s.calls[k+1]
			gap := next.start().Sub(c.end())
			ev := append(apiEvidence(c), apiEvidence(next)...)
			switch {
			case gap < MinBackoffMillis*time.Millisecond:
				out = append(out, fail(fmt.Sprintf("retried %s after a %d; wait at least %dms", gap.Round(time.Millisecond), c.api().Status, MinBackoffMillis), ev...))
			case gap+50*time.Millisecond < prev:
				out = append(out, fail(fmt.Sprintf("the wait shrank from %s to %s", prev.Round(time.Millisecond), gap.Round(time.Millisecond)), ev...))
			}
			prev = gap
		}
	}
	return out
}

// ---- results

// opCalls maps each operation to its sequence of calls, in order. An
// operation whose path the client changed takes the first unmatched
// sequence between its neighbours'.
func (t *Trace) opCalls() map[string]*sequence {
	seqs := t.sequences()
	out := map[string]*sequence{}
	at := make([]int, len(t.Ops))
	used := map[int]bool{}
	ptr := 0
	for i, op := range t.Ops {
		at[i] = -1
		want := t.Expect.APIBasePath + op.Path
		for j := ptr; j < len(seqs); j++ {
			if seqs[j].method() == op.Method && seqs[j].path() == want {
				at[i], ptr, used[j] = j, j+1, true
				out[op.ID] = seqs[j]
				break
			}
		}
	}
	for i, op := range t.Ops {
		if at[i] >= 0 {
			continue
		}
		lo, hi := -1, len(seqs)
		for k := i - 1; k >= 0; k-- {
			if at[k] >= 0 {
				lo = at[k]
				break
			}
		}
		for k := i + 1; k < len(t.Ops); k++ {
			if at[k] >= 0 {
				hi = at[k]
				break
			}
		}
		for j := lo + 1; j < hi; j++ {
			if !used[j] {
				used[j], at[i] = true, j
				out[op.ID] = seqs[j]
				break
			}
		}
	}
	return out
}

// endsOnTokenRefusal says the operation ended with a refused token request
// after its last call (a renewal that failed): the client then reports the
// token error, not the API's answer.
func (s *sequence) endsOnTokenRefusal() bool {
	toks := s.tokens[len(s.tokens)-1]
	return len(toks) > 0 && toks[len(toks)-1].Token.Verdict != journal.VerdictGranted
}

func (t *Trace) results() map[string]Result {
	if t.Run == nil {
		return nil
	}
	m, _ := matchResults(t.Ops, t.Run.Results)
	return m
}

func judgeDetail(t *Trace) []Finding {
	results := t.results()
	if results == nil {
		return nil
	}
	var out []Finding
	calls := t.opCalls()
	for _, op := range t.Ops {
		s, r := calls[op.ID], results[op.ID]
		if s == nil || r.ID == "" {
			continue
		}
		last := s.last()
		if last.x == nil || last.api().Status < 400 || len(last.x.Body) == 0 || (r.Status == 0 && s.endsOnTokenRefusal()) {
			continue
		}
		var p struct {
			Detail string `json:"detail"`
			Issues []struct {
				Detail string `json:"detail"`
			} `json:"issues"`
		}
		if json.Unmarshal(last.x.Body, &p) != nil || p.Detail == "" {
			continue
		}
		want := []string{p.Detail}
		for _, is := range p.Issues {
			if is.Detail != "" {
				want = append(want, is.Detail)
			}
		}
		have := jsonStrings(r.Body)
		var missing []string
		for _, w := range want {
			if !slices.ContainsFunc(have, func(h string) bool { return strings.Contains(h, w) }) {
				missing = append(missing, w)
			}
		}
		ev := append(apiEvidence(last), "result: "+clip(compactResult(r), 400))
		if len(missing) > 0 {
			out = append(out, fail(fmt.Sprintf("operation %s: the result lacks %d of the problem's %d detail text(s), e.g. %q", op.ID, len(missing), len(want), clip(missing[0], 120)), ev...))
		} else {
			out = append(out, pass(fmt.Sprintf("operation %s: detail surfaced", op.ID)))
		}
	}
	return out
}

// jsonStrings collects every string in a JSON value (the value itself
// when it is not JSON).
func jsonStrings(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return []string{string(raw)}
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func compactResult(r Result) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func judgeResults(t *Trace) []Finding {
	results := t.results()
	if results == nil {
		return nil
	}
	var out []Finding
	calls := t.opCalls()
	for _, op := range t.Ops {
		r, ok := results[op.ID]
		if !ok {
			continue // RUN-EXIT-01 reports the missing result
		}
		s := calls[op.ID]
		switch {
		case s == nil && r.Status != 0:
			out = append(out, fail(fmt.Sprintf("operation %s: the result says status %d, but no call for it reached the API", op.ID, r.Status), "result: "+clip(compactResult(r), 300)))
		case s == nil:
			out = append(out, pass(fmt.Sprintf("operation %s: error reported, no call reached the API", op.ID)))
		case r.Status == 0 && s.endsOnTokenRefusal():
			out = append(out, pass(fmt.Sprintf("operation %s: the refused token renewal reported", op.ID)))
		case s.last().api().Status == 0:
			if r.Status != 0 {
				out = append(out, fail(fmt.Sprintf("operation %s: the connection was dropped, but the result says status %d", op.ID, r.Status), apiEvidence(s.last())...))
			} else {
				out = append(out, pass(fmt.Sprintf("operation %s: error reported for a dropped connection", op.ID)))
			}
		case r.Status != s.last().api().Status:
			ev := append(apiEvidence(s.last()), "result: "+clip(compactResult(r), 300))
			out = append(out, fail(fmt.Sprintf("operation %s: the result says %s, the API's last answer was %d", op.ID, resultSays(r), s.last().api().Status), ev...))
		default:
			out = append(out, pass(fmt.Sprintf("operation %s: status %d reported", op.ID, r.Status)))
		}
	}
	return out
}

func resultSays(r Result) string {
	if r.Status == 0 {
		return "error " + strconvQuote(clip(r.Error, 100))
	}
	return fmt.Sprintf("status %d", r.Status)
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func judgeExit(t *Trace) []Finding {
	if t.Run == nil {
		return nil
	}
	problems := slices.Clone(t.Run.Problems)
	_, missing := matchResults(t.Ops, t.Run.Results)
	problems = append(problems, missing...)
	if len(problems) == 0 {
		return []Finding{pass(fmt.Sprintf("exit 0 in %s, %d results", t.Run.Duration.Round(time.Millisecond), len(t.Run.Results)))}
	}
	ev := slices.Clone(problems)
	if t.Run.StderrTail != "" {
		ev = append(ev, "stderr (last lines):")
		for _, l := range lastLines(t.Run.StderrTail, 15) {
			ev = append(ev, "  "+l)
		}
	}
	return []Finding{fail(problems[0], ev...)}
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func judgeTLS(t *Trace) []Finding {
	if !t.Expect.UntrustedTLS {
		return nil
	}
	var ev []string
	for _, e := range t.Events {
		switch {
		case e.Token != nil:
			ev = append(ev, tokenEvidence(t, e)[0])
		case e.API != nil:
			ev = append(ev, apiEvidence(call{ev: e, x: t.exchange(e.Seq)})[0])
		}
	}
	if len(ev) > 0 {
		return []Finding{fail(fmt.Sprintf("%d request(s) completed against servers whose certificate does not chain to %s", len(ev), EnvCAFile), ev...)}
	}
	return []Finding{pass("no request completed against the untrusted servers")}
}
