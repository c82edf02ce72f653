package mockfla

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/bearer"
	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/internal/journal"
)

// Caller is the identity behind a verified access token: client id, quality
// (employer, provider or trainingProvider), enterprise number and scopes.
type Caller = bearer.Caller

// Qualities of a Caller (seed manual §2 and §6.1).
const (
	QualityEmployer         = bearer.QualityEmployer
	QualityProvider         = bearer.QualityProvider
	QualityTrainingProvider = bearer.QualityTrainingProvider
)

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
	// Profile selects the business rules: ProfileFLA applies the FLA rules
	// table (tenant rules, service years, dates, durations, set sizes) to the
	// operations whose operationId it lists; ProfileNone applies none. Empty
	// means the document's x-flamock-profile extension, else ProfileNone.
	Profile string
}

// Rules profiles.
const (
	ProfileFLA  = "fla"
	ProfileNone = "none"
)

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

// Mandate says that an employer mandated a provider (a social secretariat or
// service provider) for the FLA (seed manual §2.2). An employer has one FLA
// mandatary at a time.
type Mandate struct {
	Provider string    `json:"provider"`       // enterprise number of the mandatary, 10 digits or 9 without the leading 0
	Employer string    `json:"employer"`       // enterprise number of the employer
	From     time.Time `json:"from,omitzero"`  // first instant it is active; zero means always was
	Until    time.Time `json:"until,omitzero"` // first instant it is no longer active; zero means open-ended

	provider, employer string // normalised by checkMandates
}

func (m Mandate) activeAt(t time.Time) bool {
	return (m.From.IsZero() || !t.Before(m.From)) && (m.Until.IsZero() || t.Before(m.Until))
}

func (m Mandate) overlaps(o Mandate) bool {
	startsBeforeOEnds := o.Until.IsZero() || m.From.IsZero() || m.From.Before(o.Until)
	oStartsBeforeEnds := m.Until.IsZero() || o.From.IsZero() || o.From.Before(m.Until)
	return startsBeforeOEnds && oStartsBeforeEnds
}

// Years is an inclusive range of calendar years.
type Years struct {
	First, Last int
}

// Contains reports whether year y is in the range.
func (y Years) Contains(year int) bool { return year >= y.First && year <= y.Last }

// DefaultServiceYears are the calendar years the FLA accepts by default:
// data from 2023 (the seed's example year) to 2025 (the obligation was
// repealed with effect from 1 January 2026).
func DefaultServiceYears() Years { return Years{First: 2023, Last: 2025} }

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxTrainings    = 200
	DefaultMaxParticipants = 1000
	DefaultPageSize        = 20
	DefaultRealm           = "flamock"
)

// Config configures a Server. The zero value serves both embedded FLA
// documents in memory and refuses every secured operation (no Verifier).
type Config struct {
	// Specs are the documents to mount, each at its base path. Nil means the
	// two embedded FLA documents (package swagger) at their default base
	// paths. Base paths must be distinct.
	Specs []Spec

	// Verifier checks bearer tokens. Nil means no token can be verified:
	// every operation with a security requirement is refused with 401
	// (noAccessToken without an Authorization header, invalidAccessToken
	// with one). Operations without a security requirement still answer.
	Verifier TokenVerifier

	// Journal receives one API event per call. Nil means a private journal
	// (readable through the admin API and Server.Journal).
	Journal *journal.Journal

	// Now is the clock (mandate windows, journal times). Nil means time.Now.
	Now func() time.Time

	// Mandates are the active and past FLA mandates. More can be set at
	// run time with Server.SetMandates.
	Mandates []Mandate

	// ServiceYears are the calendar years the FLA rules accept. The zero
	// value means 2023 to 2025.
	ServiceYears Years

	// MaxTrainings bounds the trainings of one employee and year; zero means
	// DefaultMaxTrainings. MaxParticipants bounds the participants of one
	// provider training; zero means DefaultMaxParticipants.
	MaxTrainings    int
	MaxParticipants int

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

	// StateFile, if set, makes the store durable: every write is appended to
	// this file and synced before it is acknowledged, and the file is read
	// back (and compacted) on start. Empty means in memory only.
	StateFile string

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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Journal == nil {
		cfg.Journal = journal.New(journal.Config{Now: cfg.Now})
	}
	if cfg.ServiceYears == (Years{}) {
		cfg.ServiceYears = DefaultServiceYears()
	} else if cfg.ServiceYears.First > cfg.ServiceYears.Last {
		errs = append(errs, fmt.Errorf("mockfla: service years %d to %d: first after last", cfg.ServiceYears.First, cfg.ServiceYears.Last))
	}
	positive := func(name string, v *int, def int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			errs = append(errs, fmt.Errorf("mockfla: %s %d is negative", name, *v))
		}
	}
	positive("MaxTrainings", &cfg.MaxTrainings, DefaultMaxTrainings)
	positive("MaxParticipants", &cfg.MaxParticipants, DefaultMaxParticipants)
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
	ms, err := checkMandates(cfg.Mandates)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Mandates = ms
	return errors.Join(errs...)
}

// checkMandates normalises the enterprise numbers and refuses overlapping
// mandates of one employer to different providers.
func checkMandates(in []Mandate) ([]Mandate, error) {
	var errs []error
	out := make([]Mandate, 0, len(in))
	for i, m := range in {
		var err error
		if m.provider, err = beid.NormalizeEnterpriseNumber(m.Provider); err != nil {
			errs = append(errs, fmt.Errorf("mockfla: mandate %d: provider: %w", i, err))
		}
		if m.employer, err = beid.NormalizeEnterpriseNumber(m.Employer); err != nil {
			errs = append(errs, fmt.Errorf("mockfla: mandate %d: employer: %w", i, err))
		}
		if !m.From.IsZero() && !m.Until.IsZero() && !m.Until.After(m.From) {
			errs = append(errs, fmt.Errorf("mockfla: mandate %d: until %s is not after from %s", i, m.Until.Format(time.RFC3339), m.From.Format(time.RFC3339)))
		}
		out = append(out, m)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if a.employer != "" && a.employer == b.employer && a.provider != b.provider && a.overlaps(b) {
				errs = append(errs, fmt.Errorf("mockfla: mandates %d and %d: employer %s has two FLA mandataries (%s, %s) at once; it may have only one (seed §2.2)",
					i, j, a.employer, a.provider, b.provider))
			}
		}
	}
	return out, errors.Join(errs...)
}
