package fla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/flamock/flamock/internal/beid"
)

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

// checkMandates normalises the enterprise numbers and refuses overlapping
// mandates of one employer to different providers.
func checkMandates(in []Mandate) ([]Mandate, error) {
	var errs []error
	out := make([]Mandate, 0, len(in))
	for i, m := range in {
		var err error
		if m.provider, err = beid.NormalizeEnterpriseNumber(m.Provider); err != nil {
			errs = append(errs, fmt.Errorf("fla: mandate %d: provider: %w", i, err))
		}
		if m.employer, err = beid.NormalizeEnterpriseNumber(m.Employer); err != nil {
			errs = append(errs, fmt.Errorf("fla: mandate %d: employer: %w", i, err))
		}
		if !m.From.IsZero() && !m.Until.IsZero() && !m.Until.After(m.From) {
			errs = append(errs, fmt.Errorf("fla: mandate %d: until %s is not after from %s", i, m.Until.Format(time.RFC3339), m.From.Format(time.RFC3339)))
		}
		out = append(out, m)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if a.employer != "" && a.employer == b.employer && a.provider != b.provider && a.overlaps(b) {
				errs = append(errs, fmt.Errorf("fla: mandates %d and %d: employer %s has two FLA mandataries (%s, %s) at once; it may have only one (seed §2.2)",
					i, j, a.employer, a.provider, b.provider))
			}
		}
	}
	return out, errors.Join(errs...)
}

// MandatesNamespace is the namespace of Options.State that holds the
// mandates set at run time: one value (key "mandates"), the list as JSON.
// When it is there it replaces Options.Mandates.
const MandatesNamespace = "fla.mandates"

const mandatesKey = "mandates"

// current returns the mandates in force (the caller must not change them).
// The tenant rule reads them on every call: from p.inForce, cached while
// State.Version holds (no round trip), never older than an acknowledged
// SetMandates on any replica.
func (p *Profile) current(ctx context.Context) ([]Mandate, error) {
	return p.inForce.Get(ctx)
}

// loadMandates reads the mandates in force: those set at run time, else
// Options.Mandates.
func (p *Profile) loadMandates(ctx context.Context, _ []Mandate) ([]Mandate, error) {
	raw, err := p.state.Load(ctx, MandatesNamespace)
	if err != nil {
		return nil, fmt.Errorf("fla: mandates: %w", err)
	}
	b, set := raw[mandatesKey]
	if !set {
		return p.mandates, nil
	}
	var stored []Mandate
	if err := json.Unmarshal(b, &stored); err != nil {
		return nil, fmt.Errorf("fla: the mandates stored at run time are not a list of mandates: %w", err)
	}
	ms, err := checkMandates(stored)
	if err != nil {
		return nil, fmt.Errorf("fla: the mandates stored at run time: %w", err)
	}
	return ms, nil
}

// SetMandates replaces the FLA mandates, in Options.State (every replica
// sharing it applies them at once). When the State cannot be reached the
// error matches store.ErrUnavailable.
func (p *Profile) SetMandates(ms []Mandate) error {
	out, err := checkMandates(ms)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("fla: set mandates: %w", err)
	}
	if err := p.state.Save(context.Background(), MandatesNamespace, mandatesKey, b); err != nil {
		return fmt.Errorf("fla: set mandates: %w", err)
	}
	return nil
}

// Mandates returns the mandates in force; none when they cannot be read
// (a shared State that cannot be reached: GET /__admin/mandates then
// answers 503, and the tenant rule refuses nothing unchecked).
func (p *Profile) Mandates() []Mandate {
	ms, _ := p.current(context.Background())
	return slices.Clone(ms)
}

func (p *Profile) mandated(ctx context.Context, provider, employer string, now time.Time) (bool, error) {
	ms, err := p.current(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ms, func(m Mandate) bool {
		return m.provider == provider && m.employer == employer && m.activeAt(now)
	}), nil
}

// mandators returns the employers that mandated provider (at any time),
// in the mandates' order; none when the mandates cannot be read.
func (p *Profile) mandators(provider string) []string {
	provider, err := beid.NormalizeEnterpriseNumber(provider)
	if err != nil {
		return nil
	}
	ms, err := p.current(context.Background())
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range ms {
		if m.provider == provider && !slices.Contains(out, m.employer) {
			out = append(out, m.employer)
		}
	}
	return out
}
