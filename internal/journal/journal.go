// Package journal is the one ordered stream of events that the token
// endpoint and the API mock both write: token requests with the decoded
// assertion and the verdict, API calls with the verdict of each layer.
// Conformance checks read it back.
//
// A Journal keeps the most recent events in memory (bounded) and, when given
// a Writer, also appends every event to it as one JSON line, in order.
package journal

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/flamock/flamock/internal/redact"
)

// Kinds of event.
const (
	KindToken = "token"
	KindAPI   = "api"
)

// Verdicts.
const (
	VerdictGranted  = "granted"  // token issued
	VerdictRefused  = "refused"  // token request refused by a rule
	VerdictInjected = "injected" // an error or fault planted by a test answered instead
	VerdictOK       = "ok"       // API call answered with a success status
	VerdictRejected = "rejected" // API call answered with a problem
)

// Event is one entry. Exactly one of Token and API is set, as Kind says.
type Event struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	Token *Token    `json:"token,omitempty"`
	API   *API      `json:"api,omitempty"`
}

// Token records one request to the token endpoint. It never holds the
// assertion's signature, a client secret or any private material.
//
// Method, ContentType and ClientAuth describe the request as it came, and
// Stage names the check that refused it, so that a reader decides rules
// from these fields rather than from the words of Description. Journals
// written before these fields existed have Method empty.
type Token struct {
	RemoteAddr string `json:"remoteAddr,omitempty"`
	// Method is the HTTP method of the request.
	Method string `json:"method,omitempty"`
	// ContentType is the media type of the request's Content-Type,
	// lower-case, without parameters; empty when the header is missing.
	ContentType string `json:"contentType,omitempty"`
	// ClientAuth is how the request tried to authenticate the client
	// besides client_assertion: one of the ClientAuth constants; empty
	// when it sent neither a client_secret (form field or URL query
	// parameter) nor an Authorization header, as required. A client_secret
	// in a body that was never read (a refusal at StageMethod,
	// StageContentType or StageForm) is not seen.
	ClientAuth string `json:"clientAuth,omitempty"`
	// Stage is the check that refused the request (one of the Stage
	// constants; StageFault when a planted fault answered); empty when a
	// token was granted.
	Stage         string         `json:"stage,omitempty"`
	ClientID      string         `json:"clientId,omitempty"` // as claimed (iss, sub or client_id), not necessarily registered
	GrantType     string         `json:"grantType,omitempty"`
	AssertionType string         `json:"assertionType,omitempty"`
	RequestScope  string         `json:"requestScope,omitempty"` // the scope form field as sent
	Header        map[string]any `json:"header,omitempty"`       // decoded JWS header
	Claims        map[string]any `json:"claims,omitempty"`       // decoded JWT claims
	Verdict       string         `json:"verdict"`
	Status        int            `json:"status"`
	Error         string         `json:"error,omitempty"` // RFC 6749 §5.2 code
	Description   string         `json:"errorDescription,omitempty"`
	Scopes        []string       `json:"scopes,omitempty"`           // granted
	Fingerprint   string         `json:"tokenFingerprint,omitempty"` // of the issued access token
	ExpiresIn     int            `json:"expiresIn,omitempty"`
}

// Values of Token.ClientAuth.
const (
	ClientAuthSecret = "client_secret" // a client_secret form field (or URL query parameter)
	ClientAuthBasic  = "basic"         // an Authorization header with HTTP Basic credentials
	ClientAuthOther  = "other"         // an Authorization header of another scheme
)

// Values of Token.Stage: the checks of the token endpoint, in the order it
// runs them (see package mockoauth). Passed tells which checks a refused
// request had got through.
const (
	StageMethod        = "method"         // not a POST
	StageContentType   = "content-type"   // Content-Type is not application/x-www-form-urlencoded (charset UTF-8 at most)
	StageForm          = "form"           // body too large, unreadable, not a well-formed UTF-8 form, or a parameter twice
	StageQuery         = "query"          // an OAuth parameter in the URL query
	StageGrant         = "grant-type"     // grant_type missing or not client_credentials
	StageClientSecret  = "client-secret"  // a client secret or an Authorization header (ClientAuth says which)
	StageAssertionType = "assertion-type" // client_assertion_type missing or not the RFC 7523 URN
	StageJWS           = "jws"            // client_assertion missing, too large, or not a compact JWS
	StageAlg           = "alg"            // alg missing, not allowed, or crit present
	StageClient        = "client"         // no usable sub/iss, or no such client
	StageSignature     = "signature"      // no registered key of alg's type, or the signature does not verify
	StageIssSub        = "iss-sub"        // iss, sub and client_id not all the client id
	StageAud           = "aud"            // aud is not exactly the audience
	StageExp           = "exp"            // exp missing, not a NumericDate, or past
	StageLifetime      = "lifetime"       // exp too far after iat (or after now, without iat)
	StageIatNbf        = "iat-nbf"        // iat or nbf not a NumericDate, or in the future
	StageJTI           = "jti"            // jti missing, not a string, or already used
	StageCapacity      = "capacity"       // jti fresh, but the replay cache is full (503 temporarily_unavailable)
	StageScope         = "scope"          // scope malformed or not allowed for the client
	StageCertificate   = "certificate"    // the certificate that signed is not valid now
	StageDisabled      = "disabled"       // the client is disabled (unauthorized_client)
	StageIssue         = "issue"          // the server could not make a token (server_error)
	StageFault         = "fault"          // a fault planted by a test answered, before any check (VerdictInjected)
)

// stages are the Stage values in check order with their rank: the
// lifetime and the iat/nbf checks interleave (an iat that is not a
// NumericDate is refused before the lifetime is checked, an iat in the
// future after), so they share a rank.
var stages = []struct {
	name string
	rank int
}{
	{StageFault, 0}, {StageMethod, 1}, {StageContentType, 2}, {StageForm, 3}, {StageQuery, 4},
	{StageGrant, 5}, {StageClientSecret, 6}, {StageAssertionType, 7}, {StageJWS, 8}, {StageAlg, 9},
	{StageClient, 10}, {StageSignature, 11}, {StageIssSub, 12}, {StageAud, 13}, {StageExp, 14},
	{StageLifetime, 15}, {StageIatNbf, 15}, {StageJTI, 16}, {StageCapacity, 17}, {StageScope, 18},
	{StageCertificate, 19}, {StageDisabled, 20}, {StageIssue, 21},
}

func stageRank(s string) (int, bool) {
	for _, st := range stages {
		if st.name == s {
			return st.rank, true
		}
	}
	return 0, false
}

// Stages returns the Stage values in the order the token endpoint checks
// them; StageFault, which answers before any check, comes first.
func Stages() []string {
	out := make([]string, len(stages))
	for i, st := range stages {
		out[i] = st.name
	}
	return out
}

// Passed reports whether a token request whose Stage is stage (empty: a
// token was granted) got through check. It is false when stage or check is
// not a Stage value, when check is StageFault, and between StageLifetime
// and StageIatNbf, which are checked together.
func Passed(stage, check string) bool {
	c, ok := stageRank(check)
	if !ok || check == StageFault {
		return false
	}
	if stage == "" {
		return true
	}
	s, ok := stageRank(stage)
	return ok && s > c
}

// API records one call to a mocked API. Authorization values are never kept.
type API struct {
	RemoteAddr string `json:"remoteAddr,omitempty"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Query      string `json:"query,omitempty"` // raw query, with any access_token value replaced by REDACTED
	// TokenInQuery says the request carried an access_token query
	// parameter (RFC 6750 §2.3), which the Social Security APIs do not take.
	TokenInQuery bool     `json:"tokenInQuery,omitempty"`
	Operation    string   `json:"operation,omitempty"` // operationId
	ClientID     string   `json:"clientId,omitempty"`
	Fingerprint  string   `json:"tokenFingerprint,omitempty"` // of the bearer token presented
	Layers       []Layer  `json:"layers,omitempty"`
	Verdict      string   `json:"verdict"`
	Status       int      `json:"status"`
	ProblemType  string   `json:"problemType,omitempty"`
	Issues       []string `json:"issues,omitempty"` // short text of each issue of a 400
	Fault        string   `json:"fault,omitempty"`  // injected fault, if any
	DurationMS   float64  `json:"durationMs"`
	// RequestBody and ResponseBody are the bodies, at most BodyLimit
	// bytes each, with credentials redacted (redact.Body). A writer sets
	// them, or hands the bodies to SetBodies, which fills them in only
	// when the event is read.
	RequestBody  string `json:"requestBody,omitempty"`
	ResponseBody string `json:"responseBody,omitempty"`

	// bodies handed to SetBodies, until the event is settled.
	rawRequest, rawResponse []byte
	unsettled               bool
}

// BodyLimit bounds what an API event keeps of each body.
const BodyLimit = 2048

// SetBodies keeps references to the request and response bodies of the
// call, which the caller must never change afterwards. RequestBody and
// ResponseBody are made from them (redact.Body, at most BodyLimit bytes)
// only when the event is first read: by Events, a subscriber it is sent
// to, the Writer, or a store's Settle. A call nobody reads back costs
// neither the copy nor the redaction, and a body's bytes that the store
// keeps anyway are not held twice.
func (a *API) SetBodies(request, response []byte) {
	a.rawRequest, a.rawResponse, a.unsettled = request, response, true
}

// Settle makes RequestBody and ResponseBody from the bodies handed to
// SetBodies, if any, and drops the references; settling again does
// nothing. A store calls it before an event leaves its hands (read back,
// sent or serialized), while nothing else may read the event: the Journal
// settles under its lock. It changes e.API, which e shares with its copies.
func (e Event) Settle() {
	a := e.API
	if a == nil || !a.unsettled {
		return
	}
	a.RequestBody = redact.Body(a.rawRequest, BodyLimit)
	a.ResponseBody = redact.Body(a.rawResponse, BodyLimit)
	a.rawRequest, a.rawResponse, a.unsettled = nil, nil, false
}

// Layer is the verdict of one step of request handling (route, auth, scope,
// tenant, schema, identifiers, business, store).
type Layer struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"` // "pass" or "fail"
	Detail  string `json:"detail,omitempty"`
}

// DefaultCapacity is the number of events kept in memory when Config.Capacity
// is zero: about 4 MB of recent history (an API event is about 1 KB), which
// keeps `flamock serve` near 33 MiB RSS under load. The Writer, if any,
// gets every event; a conformance run holds far fewer.
const DefaultCapacity = 4096

// Config configures a Journal. The zero value is ready to use.
type Config struct {
	// Capacity bounds the events kept in memory; older ones are dropped
	// from memory (never from Writer). Zero means DefaultCapacity.
	Capacity int
	// Writer, if set, receives every event as one JSON line, in order.
	// When a write fails the event is not written (it stays in memory),
	// Err reports the error, Logger gets one error line, and every later
	// event tries again, so writing resumes as soon as the Writer can take
	// it. When the Writer also has Truncate and Stat (an *os.File opened
	// for appending does), a write that fails half way is cut back, so the
	// Writer never holds half a line.
	Writer io.Writer
	// Now is the clock stamped on events without a time. Nil means time.Now.
	Now func() time.Time
	// Logger receives one error when writing to Writer starts failing and
	// one warning when it resumes. Nil means discard.
	Logger *slog.Logger
}

// truncater is a Writer whose failed writes can be cut back.
type truncater interface {
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
}

// Journal is safe for concurrent use. The zero value is not usable; call New.
type Journal struct {
	cfg Config

	mu      sync.Mutex
	seq     uint64
	ring    []Event // ring buffer of the newest events
	start   int     // index of the oldest event in ring
	n       int     // number of events in ring
	dropped uint64  // events evicted from memory
	subs    map[chan Event]*follower

	wErr      error  // the last write to Writer failed with this
	wEnd      int64  // with a truncater: where the last complete line ends; -1 before the first write
	unwritten uint64 // events not written to Writer
	firstLost uint64 // sequence number of the first of them since the last success
}

// New returns an empty journal.
func New(cfg Config) *Journal {
	if cfg.Capacity <= 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Journal{cfg: cfg, subs: map[chan Event]*follower{}, wEnd: -1}
}

// Append stamps e with the next sequence number (and the time, if zero),
// stores it, writes it to the Writer and hands it to subscribers. It returns
// the stored event (bodies handed to SetBodies are settled only when the
// event is read). Append on a nil Journal does nothing.
func (j *Journal) Append(e Event) Event {
	if j == nil {
		return e
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if e.Time.IsZero() {
		e.Time = j.cfg.Now()
	}
	e.Time = e.Time.UTC()
	if j.ring == nil {
		j.ring = make([]Event, 0, min(j.cfg.Capacity, 1024))
	}
	if j.n < j.cfg.Capacity {
		if len(j.ring) < j.cfg.Capacity {
			j.ring = append(j.ring, e)
		} else {
			j.ring[(j.start+j.n)%j.cfg.Capacity] = e
		}
		j.n++
	} else {
		j.ring[j.start] = e
		j.start = (j.start + 1) % j.cfg.Capacity
		j.dropped++
	}
	if j.cfg.Writer != nil {
		e.Settle()
		j.write(e)
	}
	for ch, f := range j.subs {
		if f.keep != nil && !f.keep(e) {
			continue
		}
		// A slow subscriber misses events rather than blocking the mocks;
		// a full channel is seen before the event is settled for it.
		if cap(ch) > 0 && len(ch) == cap(ch) {
			f.missed = e.Seq
			continue
		}
		e.Settle()
		select {
		case ch <- e:
		default:
			f.missed = e.Seq
		}
	}
	return e
}

// write writes e as one line; the caller holds mu.
func (j *Journal) write(e Event) {
	b, err := json.Marshal(e)
	if err != nil { // an event holds nothing json cannot encode; say so if it ever does
		j.failed(e.Seq, fmt.Errorf("journal: event %d: %w", e.Seq, err))
		return
	}
	b = append(b, '\n')
	tr, canCut := j.cfg.Writer.(truncater)
	if canCut && j.wEnd < 0 {
		fi, err := tr.Stat()
		if err != nil {
			j.failed(e.Seq, fmt.Errorf("journal: %w", err))
			return
		}
		j.wEnd = fi.Size()
	}
	if canCut && j.wErr != nil {
		// An earlier write may have left part of a line: cut it first.
		if err := tr.Truncate(j.wEnd); err != nil {
			j.failed(e.Seq, fmt.Errorf("journal: %w", err))
			return
		}
	}
	n, err := j.cfg.Writer.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if canCut && n > 0 {
			if terr := tr.Truncate(j.wEnd); terr == nil {
				n = 0
			}
		}
		j.failed(e.Seq, fmt.Errorf("journal: %w", err))
		return
	}
	if canCut {
		j.wEnd += int64(n)
	}
	if j.wErr != nil {
		j.cfg.Logger.Warn("journal: writing resumes; the events in between are missing from the file (they were kept in memory)",
			"missing", fmt.Sprintf("%d-%d", j.firstLost, e.Seq-1), "err", j.wErr)
		j.wErr = nil
	}
}

func (j *Journal) failed(seq uint64, err error) {
	j.unwritten++
	if j.wErr == nil {
		j.firstLost = seq
		j.cfg.Logger.Error("journal: cannot write the journal file; events are kept in memory only until it can", "seq", seq, "err", err)
	}
	j.wErr = err
}

// Unwritten returns how many events could not be written to the Writer.
func (j *Journal) Unwritten() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.unwritten
}

// Events returns the events in memory with a sequence number greater than
// since, oldest first.
func (j *Journal) Events(since uint64) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Event, 0, j.n)
	for i := 0; i < j.n; i++ {
		e := j.ring[(j.start+i)%len(j.ring)]
		if e.Seq > since {
			e.Settle()
			out = append(out, e)
		}
	}
	return out
}

// Dropped returns how many events were evicted from memory since the last Reset.
func (j *Journal) Dropped() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
}

// Err returns the error of the last write to the Writer when it failed;
// nil once a write succeeds again.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.wErr
}

// Reset forgets the events in memory. Sequence numbers keep growing, so a
// reader that remembers the last number it saw is never confused.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring, j.start, j.n, j.dropped = nil, 0, 0, 0
}

// Subscribe returns a channel that receives every event appended from now
// on, and a function that ends the subscription and closes the channel.
// A subscriber that does not keep up misses events (buffer is the channel's
// capacity); it can fill the gap with Events(lastSeq).
func (j *Journal) Subscribe(buffer int) (<-chan Event, func()) {
	ch, _, stop := j.SubscribeFunc(buffer, nil)
	return ch, stop
}

// follower is one subscription.
type follower struct {
	keep   func(Event) bool // nil: every event
	missed uint64           // the newest kept event the channel had no room for
}

// SubscribeFunc is Subscribe for the events keep reports true for (nil:
// every event). The others are neither sent nor settled, so a follower of
// a few of them (the refused calls) costs the others nothing and is not
// woken for them. keep runs under the journal's lock: it must be quick
// and must not call the journal. missed reports the sequence number of the
// newest kept event the channel had no room for (0: none): when it is past
// the last event received, the subscriber fills the gap from Events (the
// kept events between that one and the next it receives).
func (j *Journal) SubscribeFunc(buffer int, keep func(Event) bool) (events <-chan Event, missed func() uint64, stop func()) {
	ch := make(chan Event, buffer)
	f := &follower{keep: keep}
	j.mu.Lock()
	j.subs[ch] = f
	j.mu.Unlock()
	var once sync.Once
	missed = func() uint64 {
		j.mu.Lock()
		defer j.mu.Unlock()
		return f.missed
	}
	return ch, missed, func() {
		once.Do(func() {
			j.mu.Lock()
			delete(j.subs, ch)
			j.mu.Unlock()
			close(ch)
		})
	}
}

// ClientID is the client of the event: the API call's verified client,
// or the token request's client id as claimed; "" when unknown.
func (e Event) ClientID() string {
	switch {
	case e.API != nil:
		return e.API.ClientID
	case e.Token != nil:
		return e.Token.ClientID
	}
	return ""
}

// OfClient returns the events of client (ClientID), in order; client ""
// returns evs as they are.
func OfClient(evs []Event, client string) []Event {
	if client == "" {
		return evs
	}
	out := make([]Event, 0, len(evs))
	for _, e := range evs {
		if e.ClientID() == client {
			out = append(out, e)
		}
	}
	return out
}
