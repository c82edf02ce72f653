package mockfla

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/store"
)

// Caller is the identity behind a verified access token: client id,
// quality (as the profile names them, e.g. employer), enterprise number and
// scopes.
type Caller = bearer.Caller

// TokenVerifier checks a bearer access token. *mockoauth.Server satisfies it;
// mockfla never imports mockoauth.
//
// requiredScopes are the scopes of which the token must carry at least one;
// an empty list asks only whether the token is valid. The error, if any,
// must match (errors.Is) one of bearer's sentinels: ErrMissing, ErrInvalid,
// ErrRevoked, ErrExpired, or ErrInsufficientScope (preferably as a
// *bearer.ScopeError). Any other error is treated as an invalid token.
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, token string, requiredScopes []string) (Caller, error)
}

// Spec is one OpenAPI document to mount.
type Spec struct {
	// Name names the document in messages and in the health report,
	// e.g. its file name. Empty means "spec N".
	Name string
	// Data is an OpenAPI 3.0 or 3.1 document, or a Swagger 2.0 document
	// (converted), as YAML or JSON. External $refs are not followed.
	Data []byte
	// BasePath is where the document's paths are mounted, e.g.
	// "/REST/careerpro-fla/v1". Empty means the path of the document's first
	// server URL (for Swagger 2.0, its basePath), or "/" if it has none.
	BasePath string
	// Profile selects the rules of the document by name, among
	// Config.Rules; ProfileNone selects none. Empty means the document's
	// x-flamock-profile extension, else ProfileNone. A name that no
	// Config.Rules has is an error.
	Profile string
}

// ProfileNone is the profile of a document without rules: the generic
// engine alone.
const ProfileNone = "none"

// SpecFromFlag reads the document named by a --spec flag value of the form
// FILE or FILE@BASEPATH (the base path must start with "/").
func SpecFromFlag(arg string) (Spec, error) {
	file, base := arg, ""
	if i := strings.LastIndex(arg, "@"); i >= 0 && strings.HasPrefix(arg[i+1:], "/") {
		file, base = arg[:i], arg[i+1:]
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Spec{}, fmt.Errorf("mockfla: spec: %w", err)
	}
	return Spec{Name: file, Data: data, BasePath: base}, nil
}

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultPageSize     = 20
	DefaultRealm        = "flamock"
)

// Config configures a Server. Specs is required; with only Specs set the
// server serves them in memory, with no profile rules, and refuses every
// secured operation (no Verifier).
type Config struct {
	// Specs are the documents to mount, each at its base path (at least
	// one). Base paths must be distinct.
	Specs []Spec

	// Rules are the profile rules the documents may select by name
	// (Spec.Profile or x-flamock-profile): the hook through which a profile
	// (e.g. profiles/fla) adds tenant rules, business rules, computed
	// answers and admin endpoints. Nil means no rules.
	Rules []*Rules

	// Verifier checks bearer tokens. Nil means no token can be verified:
	// every operation with a security requirement is refused with 401
	// (noAccessToken without an Authorization header, invalidAccessToken
	// with one). Operations without a security requirement still answer.
	Verifier TokenVerifier

	// Journal receives one API event per call. Nil means a private journal
	// in memory (readable through the admin API and Server.Journal). A
	// *journal.Journal is one; a shared backend hands out another
	// (store.Backend.Journal).
	Journal store.Journal

	// Now is the clock (journal times, Call.Now for the rules). Nil means
	// time.Now.
	Now func() time.Time

	// Rand is the source of the BelGov-Trace-Id of each response. Nil means
	// crypto/rand.
	Rand io.Reader

	// MaxBodyBytes bounds a request body (413 payloadTooLarge above it).
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// PageSize is the page size of lists when the request names none and the
	// spec gives no default. Zero means DefaultPageSize.
	PageSize int

	// Realm is the realm of WWW-Authenticate headers. Empty means DefaultRealm.
	Realm string

	// Strict validates every response against the spec. A response that
	// does not match is logged at error level and replaced by a 500
	// internalServerError problem that names the drift. NewTestServer always
	// sets it.
	Strict bool

	// RequireToken makes a document that declares an OAuth 2, OpenID
	// Connect or HTTP bearer security scheme but requires it nowhere (no
	// security requirement at all, as some published Swagger files) require
	// a valid token of that scheme, with no particular scope, on every
	// operation. False serves such a document without a token check, with
	// a warning at start.
	RequireToken bool

	// StateFile, if set, makes the store durable: every write is appended to
	// this file and synced before it is acknowledged, and the file is read
	// back (and compacted) on start. Empty means in memory only. It
	// configures the embedded store and excludes Resources.
	StateFile string

	// Resources is where resources are stored (see package store: a write
	// is acknowledged only once the store has it durably; a store that
	// cannot read or write answers 503 with Retry-After). Nil means the
	// embedded store: in memory, or StateFile. The server does not close a
	// Resources it was given.
	Resources store.Resources

	// Faults holds the faults planted in this mock (target fault.API),
	// shared by replicas when it is a shared backend's. Nil means a queue
	// of the server's own, in memory.
	Faults store.Faults

	// NoAdmin leaves /__admin/ out of ServeHTTP, for a server that mounts
	// Server.AdminHandler on its own mux.
	NoAdmin bool

	// Logger receives diagnostics. Nil means discard.
	Logger *slog.Logger
}

// check validates cfg and fills in defaults; it reports every problem.
func (cfg *Config) check() error {
	var errs []error
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Journal == nil {
		cfg.Journal = journal.New(journal.Config{Now: cfg.Now})
	}
	positive := func(name string, v *int, def int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			errs = append(errs, fmt.Errorf("mockfla: %s %d is negative", name, *v))
		}
	}
	positive("PageSize", &cfg.PageSize, DefaultPageSize)
	switch {
	case cfg.MaxBodyBytes == 0:
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	case cfg.MaxBodyBytes < 0:
		errs = append(errs, fmt.Errorf("mockfla: MaxBodyBytes %d is negative", cfg.MaxBodyBytes))
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	} else if strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		errs = append(errs, fmt.Errorf("mockfla: realm %q contains a quote, backslash or newline", cfg.Realm))
	}
	return errors.Join(errs...)
}
