package fla

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/store"
)

// Name is the profile's name: flamock serve --profile fla, and the rules
// name the FLA documents select (x-flamock-profile: fla).
const Name = "fla"

// Summary describes the profile in one line (flamock profiles).
const Summary = "CareerPro Federal Learning Account: two embedded documents, mandates, tenant and business rules, training credit"

// Qualities under which a client registers its REST channel in Chaman
// (seed manual §4.4.1 step 4 and §6.1).
const (
	QualityEmployer         = "employer"         // "Employeur ONSS"
	QualityProvider         = "provider"         // social secretariat or service provider (mandatary)
	QualityTrainingProvider = "trainingProvider" // "Prestataire de formation"
)

// OAuth scopes of the FLA by quality (seed manual §6.1). The seed leaves the
// training-provider scope blank; TrainingProviderScope is flamock's default.
const (
	EmployerScope         = "scope:sigedis:gestion:careerpro-federal-learning-account:employer"
	ProviderScope         = "scope:sigedis:gestion:careerpro-federal-learning-account:provider"
	TrainingProviderScope = "scope:sigedis:gestion:careerpro-federal-learning-account:trainingprovider"
)

// Qualities returns the scopes a client of each quality may ask for and
// gets when it sends no scope: the token endpoint's QualityScopes.
func Qualities() map[string][]string {
	return map[string][]string{
		QualityEmployer:         {EmployerScope},
		QualityProvider:         {ProviderScope},
		QualityTrainingProvider: {TrainingProviderScope},
	}
}

// Defaults for the zero values of Options.
const (
	DefaultMaxTrainings    = 200
	DefaultMaxParticipants = 1000
)

// Options configure the FLA rules. The zero value has no mandate, the
// default service years and the default set sizes.
type Options struct {
	// Mandates are the active and past FLA mandates. More can be set at
	// run time with Profile.SetMandates or PUT /__admin/mandates.
	Mandates []Mandate
	// State keeps the mandates set at run time (they replace Mandates) under
	// MandatesNamespace: shared by replicas when it is a shared backend's,
	// so a PUT /__admin/mandates through one replica governs every other at
	// once. Nil means the profile's own, in memory.
	State store.State
	// ServiceYears are the calendar years the FLA rules accept. The zero
	// value means DefaultServiceYears (2023 to 2025).
	ServiceYears Years
	// MaxTrainings bounds the trainings of one employee and year; zero means
	// DefaultMaxTrainings. MaxParticipants bounds the participants of one
	// provider training; zero means DefaultMaxParticipants.
	MaxTrainings    int
	MaxParticipants int
}

// Profile is the FLA rules of one server: the options and the mandates,
// which change at run time. It is safe for concurrent use.
type Profile struct {
	opts     Options
	mandates []Mandate                // configured (Options.Mandates), checked
	state    store.State              // Options.State, or an embedded one
	inForce  *store.Cached[[]Mandate] // the mandates in force (mandates.go)
}

// New checks opts, fills in the defaults and reports every problem at once.
func New(opts Options) (*Profile, error) {
	var errs []error
	if opts.ServiceYears == (Years{}) {
		opts.ServiceYears = DefaultServiceYears()
	} else if opts.ServiceYears.First > opts.ServiceYears.Last {
		errs = append(errs, fmt.Errorf("fla: service years %d to %d: first after last", opts.ServiceYears.First, opts.ServiceYears.Last))
	}
	positive := func(name string, v *int, def int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			errs = append(errs, fmt.Errorf("fla: %s %d is negative", name, *v))
		}
	}
	positive("MaxTrainings", &opts.MaxTrainings, DefaultMaxTrainings)
	positive("MaxParticipants", &opts.MaxParticipants, DefaultMaxParticipants)
	ms, err := checkMandates(opts.Mandates)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p := &Profile{opts: opts, mandates: ms}
	p.state = opts.State
	if p.state == nil {
		p.state = store.NewState()
	}
	p.inForce = store.NewCached(p.state, MandatesNamespace, p.loadMandates)
	return p, nil
}

// ServiceYears returns the calendar years the rules accept.
func (p *Profile) ServiceYears() Years { return p.opts.ServiceYears }

// Rules returns the engine's hook: the rules table keyed by the
// operationIds of the FLA documents, and the mandates admin endpoints.
func (p *Profile) Rules() *mockfla.Rules {
	return &mockfla.Rules{Name: Name, Operations: p.table(), Admin: p.admin}
}

// admin adds GET and PUT /__admin/mandates.
func (p *Profile) admin(mux *http.ServeMux) {
	mux.HandleFunc("GET /__admin/mandates", func(w http.ResponseWriter, r *http.Request) {
		ms, err := p.current(r.Context())
		if err != nil {
			mockfla.AdminUnavailable(w, "The mandates cannot be read: ", err, time.Now())
			return
		}
		mockfla.WriteJSON(w, http.StatusOK, map[string]any{"mandates": slices.Clone(ms)})
	})
	mux.HandleFunc("PUT /__admin/mandates", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Mandates []Mandate `json:"mandates"`
		}
		if !mockfla.DecodeAdminJSON(w, r, &body, `{"mandates":[{"provider":..,"employer":..,"from":..,"until":..}]}`) {
			return
		}
		if err := p.SetMandates(body.Mandates); errors.Is(err, store.ErrUnavailable) {
			mockfla.AdminUnavailable(w, "The mandates cannot be stored: ", err, time.Now())
			return
		} else if err != nil {
			mockfla.AdminBadRequest(w, "mandates", "", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
