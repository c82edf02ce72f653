package conformance

import (
	"crypto/x509"
	"net/url"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/redact"
)

// Exchange is what the harness saw of one HTTP request on the wire, beyond
// what the journal records. Only active runs (flamock conform) have them.
type Exchange struct {
	Seq         uint64    `json:"seq,omitempty"` // the journal event it produced; 0 when none
	Server      string    `json:"server"`        // "token" or "api"
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Query       string    `json:"query,omitempty"` // access_token values redacted
	ContentType string    `json:"contentType,omitempty"`
	AuthScheme  string    `json:"authScheme,omitempty"` // scheme of the Authorization header, if any
	FormKeys    []string  `json:"formKeys,omitempty"`   // token requests: the form fields sent
	Status      int       `json:"status"`
	RetryAfter  string    `json:"retryAfter,omitempty"`
	RespType    string    `json:"responseType,omitempty"`
	Body        []byte    `json:"-"` // the response body, at most 8 KiB
}

// RequestLine renders the request as evidence.
func (x *Exchange) RequestLine() string {
	s := x.Method + " " + x.Path
	if x.Query != "" {
		s += "?" + x.Query
	}
	return s
}

// Expect is what a trace is judged against.
type Expect struct {
	ClientID    string   // registered client id; empty: unknown (passive)
	TokenURL    string   // the exact audience; empty: unknown (passive)
	TokenPath   string   // path of the token endpoint
	APIBasePath string   // path the operations' paths are relative to
	Scopes      []string // scopes the client may ask for; nil: unknown
	Cert        *x509.Certificate
	// Rules names the rules this trace may decide; nil means every rule
	// the trace has evidence for.
	Rules map[string]bool
	// UntrustedTLS says the servers presented a certificate the client
	// was not given the CA of.
	UntrustedTLS bool
}

// Trace is one run's evidence: the journal events, the wire exchanges, the
// operations and the client's results.
type Trace struct {
	Scenario  string
	Events    []journal.Event
	Exchanges []Exchange
	Ops       []Operation
	Run       *Run
	Expect    Expect
	// TLS is what the server saw of the client's handshakes (conform only).
	TLS TLSEvidence

	bySeq map[uint64]*Exchange
}

func (t *Trace) index() {
	if t.bySeq != nil {
		return
	}
	t.bySeq = map[uint64]*Exchange{}
	for i := range t.Exchanges {
		if s := t.Exchanges[i].Seq; s != 0 {
			t.bySeq[s] = &t.Exchanges[i]
		}
	}
}

func (t *Trace) exchange(seq uint64) *Exchange {
	t.index()
	return t.bySeq[seq]
}

func (t *Trace) judges(rule string) bool { return t.Expect.Rules == nil || t.Expect.Rules[rule] }

// call is one API event with its position.
type call struct {
	i  int // index in Events
	ev journal.Event
	x  *Exchange
}

func (c call) api() *journal.API { return c.ev.API }

// start is when the request began: the wire time, else the journal's time
// minus the handling time.
func (c call) start() time.Time {
	if c.x != nil {
		return c.x.Start
	}
	return c.ev.Time.Add(-time.Duration(c.ev.API.DurationMS * float64(time.Millisecond)))
}

// end is when the answer was given.
func (c call) end() time.Time {
	if c.x != nil && !c.x.End.IsZero() {
		return c.x.End
	}
	return c.ev.Time
}

// key identifies "the same call": method, path and query without tokens.
func (c call) key() string {
	a := c.ev.API
	return a.Method + " " + a.Path + "?" + redactQuery(a.Query)
}

// sequence is a run of consecutive API calls with the same key: one
// operation with its retries.
type sequence struct {
	calls []call
	// tokens[i] are the token events between calls[i] and calls[i+1]
	// (for the last call: after it, before the next API call).
	tokens [][]journal.Event
}

func (s *sequence) method() string { return s.calls[0].ev.API.Method }
func (s *sequence) path() string   { return s.calls[0].ev.API.Path }
func (s *sequence) last() call     { return s.calls[len(s.calls)-1] }

// sequences groups the API events of t into operations with their
// retries, in order. Token events between two calls are kept with the
// sequence. A journal is read as the traffic of one client (the API does
// not name the client of a call it refused with 401).
func (t *Trace) sequences() []*sequence {
	var out []*sequence
	var cur *sequence
	for i, ev := range t.Events {
		switch {
		case ev.Kind == journal.KindAPI && ev.API != nil:
			c := call{i: i, ev: ev, x: t.exchange(ev.Seq)}
			if cur != nil && cur.last().key() == c.key() {
				cur.calls = append(cur.calls, c)
				cur.tokens = append(cur.tokens, nil)
				continue
			}
			cur = &sequence{calls: []call{c}, tokens: [][]journal.Event{nil}}
			out = append(out, cur)
		case ev.Kind == journal.KindToken && ev.Token != nil && cur != nil:
			n := len(cur.tokens) - 1
			cur.tokens[n] = append(cur.tokens[n], ev)
		}
	}
	return out
}

func (t *Trace) tokenEvents() []journal.Event {
	var out []journal.Event
	for _, ev := range t.Events {
		if ev.Kind == journal.KindToken && ev.Token != nil {
			out = append(out, ev)
		}
	}
	return out
}

func (t *Trace) apiCalls() []call {
	var out []call
	for i, ev := range t.Events {
		if ev.Kind == journal.KindAPI && ev.API != nil {
			out = append(out, call{i: i, ev: ev, x: t.exchange(ev.Seq)})
		}
	}
	return out
}

// redactQuery hides the values of credentials in a query string
// (access_token, client_secret and the like: internal/redact).
func redactQuery(q string) string {
	out, _ := redact.Query(q)
	return out
}

func queryHasToken(q string) bool {
	v, err := url.ParseQuery(q)
	if err != nil {
		return strings.Contains(strings.ToLower(q), "access_token")
	}
	for k := range v {
		if strings.EqualFold(k, "access_token") {
			return true
		}
	}
	return false
}
