package mockoauth

import (
	"fmt"
	"strings"
)

// Environments the token endpoint can play (Config.Environment).
const (
	// EnvironmentLocal: the audience is the server's own token URL (or
	// Config.Audience). The zero value "" means it.
	EnvironmentLocal = "local"
	// EnvironmentACC: the portal's acceptance environment; the audience is
	// ACCAudience.
	EnvironmentACC = "acc"
	// EnvironmentProd: production; the audience is ProductionAudience.
	EnvironmentProd = "prod"
)

// ACCAudience is the audience (and token URL) of the acceptance
// environment.
const ACCAudience = "https://services-acpt.socialsecurity.be/REST/oauth/v5/token"

// Environments lists the values Config.Environment may take.
func Environments() []string { return []string{EnvironmentLocal, EnvironmentACC, EnvironmentProd} }

// knownAudience is an audience of a known environment of the portal.
type knownAudience struct {
	aud, env string
	legacy   bool // the v3 era's audience
}

// knownAudiences are those of domain.md §1.1 and §8.1: the v5 token URLs
// (the audiences of today), the v3 ones and the alternative acceptance
// audience seen in institutional clients.
var knownAudiences = []knownAudience{
	{ProductionAudience, EnvironmentProd, false},
	{ACCAudience, EnvironmentACC, false},
	{"https://oauth-v5.acc.socialsecurity.be", EnvironmentACC, false},
	{"https://services.socialsecurity.be/REST/oauth/v3/token", EnvironmentProd, true},
	{"https://services-acpt.socialsecurity.be/REST/oauth/v3/token", EnvironmentACC, true},
	{"https://oauth.socialsecurity.be", EnvironmentProd, true},
	{"https://oauthacc.socialsecurity.be", EnvironmentACC, true},
}

// environmentAudience is the audience an environment fixes; "" for local.
func environmentAudience(env string) string {
	switch env {
	case EnvironmentACC:
		return ACCAudience
	case EnvironmentProd:
		return ProductionAudience
	}
	return ""
}

// environment is the environment the server plays: Config.Environment,
// else the one whose audience Config.Audience is, else local.
func (s *Server) environment() string {
	if s.cfg.Environment != "" {
		return s.cfg.Environment
	}
	for _, k := range knownAudiences {
		if !k.legacy && k.aud == s.cfg.Audience {
			return k.env
		}
	}
	return EnvironmentLocal
}

// validateEnvironment checks Environment against Audience.
func (cfg Config) validateEnvironment() error {
	switch cfg.Environment {
	case "", EnvironmentLocal:
		return nil
	case EnvironmentACC, EnvironmentProd:
		if want := environmentAudience(cfg.Environment); cfg.Audience != "" && cfg.Audience != want {
			return fmt.Errorf("audience %q contradicts environment %s, whose audience is %q; set one of them", cfg.Audience, cfg.Environment, want)
		}
		return nil
	}
	return fmt.Errorf("environment %q; want one of %s", cfg.Environment, strings.Join(Environments(), ", "))
}

// environmentHint names the environment an audience belongs to when it is
// not the one the server plays (the classic ACC/PROD mix-up); own is the
// server's own token URL as the request reached it.
func (s *Server) environmentHint(got, own string) string {
	env := s.environment()
	plays := "this server plays environment " + env
	if env == EnvironmentLocal {
		plays += ", whose audience is its own token URL"
	}
	for _, k := range knownAudiences {
		if got != k.aud {
			continue
		}
		switch {
		case k.env != env && k.legacy:
			return fmt.Sprintf(" (that is the legacy v3 audience of environment %s; %s)", k.env, plays)
		case k.env != env:
			return fmt.Sprintf(" (that is the audience of environment %s; %s)", k.env, plays)
		case k.legacy:
			return " (that is the legacy v3 audience; v5 wants the v5 token URL)"
		}
		return ""
	}
	if env != EnvironmentLocal && got == own {
		return fmt.Sprintf(" (that is this server's own token URL, the audience of environment local; %s)", plays)
	}
	return ""
}
