package fla

import (
	"github.com/flamock/flamock/internal/timetext"
	"github.com/flamock/flamock/stack"
)

// ConfigKeys are the FLA's own keys of a flamock configuration file
// (stack.Profile.Config):
//
//	mandates:
//	  - provider: "0314595348"
//	    employer: "0403019261"
//	    from: 2024-01-01        # YYYY-MM-DD or RFC 3339; until likewise
//	serviceYears: {first: 2023, last: 2025}
type ConfigKeys struct {
	Mandates     []ConfigMandate `yaml:"mandates"`
	ServiceYears ConfigYears     `yaml:"serviceYears"`
}

// ConfigMandate is one entry of mandates: (see Mandate).
type ConfigMandate struct {
	Provider string        `yaml:"provider"`
	Employer string        `yaml:"employer"`
	From     timetext.Date `yaml:"from"`
	Until    timetext.Date `yaml:"until"`
}

// ConfigYears is serviceYears: (see Options.ServiceYears).
type ConfigYears struct {
	First int `yaml:"first"`
	Last  int `yaml:"last"`
}

// Options are the Options the keys give (zero values: the defaults).
func (k *ConfigKeys) Options() Options {
	var opts Options
	if k == nil {
		return opts
	}
	for _, m := range k.Mandates {
		opts.Mandates = append(opts.Mandates, Mandate{Provider: m.Provider, Employer: m.Employer, From: m.From.Time, Until: m.Until.Time})
	}
	opts.ServiceYears = Years{First: k.ServiceYears.First, Last: k.ServiceYears.Last}
	return opts
}

// optionsOf reads the FLA's keys from what the stack was given.
func optionsOf(config any) Options {
	k, _ := config.(*ConfigKeys)
	return k.Options()
}

// configExample is the FLA's keys for a new configuration of one client
// (flamock init): a social secretariat gets a mandate from the demo
// employer, any other client the block commented out.
func configExample(c stack.Identity) string {
	if c.Quality == QualityProvider {
		return `mandates:                       # the employers this social secretariat may act for
  - provider: "` + c.EnterpriseNumber + `"
    employer: "` + DemoClients()[0].EnterpriseNumber + `"
    from: 2024-01-01
`
	}
	return `# mandates:                     # for a social secretariat (quality provider)
#   - provider: "0314595348"
#     employer: "` + c.EnterpriseNumber + `"
#     from: 2024-01-01
`
}
