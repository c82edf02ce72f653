package stack

import (
	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/store"
)

// Profile is one API profile flamock knows: a name, a line of summary, and
// how to build its parts for one stack. Each profile package exports one
// (for example fla.Profile()); package profiles lists them.
type Profile struct {
	// Name is what flamock serve --profile takes, e.g. "fla".
	Name string
	// Summary describes the profile in one line (flamock profiles).
	Summary string
	// Build makes the profile's parts for one stack from what the user
	// configured.
	Build func(Settings) (*Parts, error)
	// API builds the profile's API model once (stack.NewAPI and what the
	// profile adds): for the documents specs, or the profile's own when
	// specs is empty.
	API func(specs []mockfla.Spec, set Settings) (*API, error)
	// Config, if set, declares the profile's own keys of the configuration
	// file: it returns a new pointer to a struct whose yaml-tagged fields
	// are those keys (the FLA: mandates, serviceYears). flamock checks the
	// file strictly against its own keys and these (an unknown key names
	// its line and the nearest known one), decodes these into the value
	// once and hands it over in Settings.Config. Nil: the profile owns no
	// key.
	Config func() any
	// ConfigExample, if set, writes the profile's own keys for a new
	// configuration file of one client (flamock init): YAML text, keys that
	// client does not need commented out. Nil: none.
	ConfigExample func(client Identity) string
}

// Settings are what the user configured that a profile may read.
type Settings struct {
	// Demo is set when the stack runs serve's demo (no config file): the
	// profile adds its demo data (the FLA: the demo mandate).
	Demo bool
	// Conformance is set when the stack runs a scenario of flamock conform:
	// the profile adds the data its conformance identities need (the FLA:
	// the conformance mandate).
	Conformance bool
	// State is where the profile keeps its run-time admin state (the FLA:
	// the mandates set through the admin API): the Store's when the stack
	// has one, so replicas share it. Nil: the profile's own, in memory.
	State store.State
	// Config is the profile's own keys of the configuration file, decoded:
	// the value Profile.Config returned, filled. Nil without a file (or
	// when the profile owns no key): the profile's defaults.
	Config any
}

// Parts are what a built profile gives the stack.
type Parts struct {
	// Specs are the documents served when Config.Specs is empty. Nil means
	// the profile serves only what the user gives (Config.Specs is then
	// required).
	Specs []mockfla.Spec
	// Qualities are the token endpoint's QualityScopes: the scopes a client
	// of each quality may ask for and gets by default.
	Qualities map[string][]string
	// Rules are the profile's rules (nil: none). Documents select them by
	// name (their Spec.Profile or x-flamock-profile extension).
	Rules *mockfla.Rules
	// AllScopes grants a client whose quality Qualities does not name, and
	// that has no scopes of its own, every scope the mounted documents'
	// security requirements name (the generic profile: it cannot know the
	// qualities of a document it has never seen).
	AllScopes bool
	// Demo describes serve's demo clients and first call (used when
	// Settings.Demo is set; nil: no demo clients).
	Demo *Demo
	// ActsFor returns the enterprise numbers a client with that enterprise
	// number may act for beside its own, as the profile's tenant rule
	// allows (the FLA: the employers that mandated a provider). Nil: none.
	ActsFor func(enterpriseNumber string) []string
}

// Demo is the profile's demo: clients whose certificates and keys the
// stack creates in a folder, and a first call to print.
type Demo struct {
	// Clients are registered with the token endpoint; the first one makes
	// the first call.
	Clients []DemoClient
	// BodyFile and Body are a request body for the first call, written to
	// the demo folder under that name. Empty: none.
	BodyFile string
	Body     []byte
	// Intro introduces the first call in the banner, e.g. "A first call,
	// as the employer (the seed's Postman example, §7.3.1):".
	Intro string
	// Calls are the first calls, in order (a token is fetched before).
	Calls []DemoCall
}

// DemoClient is one demo client.
type DemoClient struct {
	ID               string
	Quality          string
	EnterpriseNumber string
	// Name names its files in the demo folder, e.g. "employer".
	Name string
	// Note is printed after it in the banner, e.g. "mandated by 0880820673".
	Note   string
	Key    certgen.KeyType
	Digest certgen.Digest
	// AllScopes grants it every scope the mounted documents' security
	// requirements name (for a profile that does not know them in
	// advance, such as the generic one); its Quality is then only a label.
	AllScopes bool
}

// DemoCall is one call of the demo's first calls.
type DemoCall struct {
	Method string // GET, PUT, ...
	Path   string // from the server's root, e.g. "/REST/careerpro-fla/v1/employers/..."
	Body   bool   // sends Demo.BodyFile as JSON
}
