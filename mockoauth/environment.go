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
	legacy   string // "v3" or "v4" for an older token service's audience; "" for v5
	note     string // what else to say of it, when the server plays env
}

// knownAudiences are those of domain.md §1.1, §8.1 and §9: the v5 token
// URLs (the audiences of today), the v3 and v4 ones, the alternative
// acceptance audience seen in institutional clients, and the acceptance
// host an operator's own v5 sample used before it was fixed.
var knownAudiences = []knownAudience{
	{ProductionAudience, EnvironmentProd, "", ""},
	{ACCAudience, EnvironmentACC, "", ""},
	{"https://oauth-v5.acc.socialsecurity.be", EnvironmentACC, "", ""},
	{"https://oauth-v5.acc.pub.socialsecurity.be", EnvironmentACC, "", "a host without the token path, as an older operator sample had it"},
	{"https://services.socialsecurity.be/REST/oauth/v4/token", EnvironmentProd, "v4", ""},
	{"https://services-acpt.socialsecurity.be/REST/oauth/v4/token", EnvironmentACC, "v4", ""},
	{"https://services.socialsecurity.be/REST/oauth/v3/token", EnvironmentProd, "v3", ""},
	{"https://services-acpt.socialsecurity.be/REST/oauth/v3/token", EnvironmentACC, "v3", ""},
	{"https://oauth.socialsecurity.be", EnvironmentProd, "v3", ""},
	{"https://oauthacc.socialsecurity.be", EnvironmentACC, "v3", ""},
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
		if k.legacy == "" && k.aud == s.cfg.Audience {
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
// not the one the server plays (the classic ACC/PROD mix-up), with the
// setting that would accept it, and the v5 audience in place of an older
// one; own is the server's own token URL.
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
		fix := fmt.Sprintf("; to accept assertions made for %s, run flamock serve --environment %s (config key oauth.environment)", k.env, k.env)
		v5 := environmentAudience(k.env)
		switch {
		case k.env != env && k.legacy != "":
			return fmt.Sprintf(" (that is the legacy %s audience of environment %s, whose v5 audience is %q; %s%s)", k.legacy, k.env, v5, plays, fix)
		case k.env != env && k.note != "":
			return fmt.Sprintf(" (that is %s; the audience of environment %s is %q; %s%s)", k.note, k.env, v5, plays, fix)
		case k.env != env:
			return fmt.Sprintf(" (that is the audience of environment %s; %s%s)", k.env, plays, fix)
		case k.legacy != "":
			return fmt.Sprintf(" (that is the legacy %s audience; v5 wants the v5 token URL)", k.legacy)
		case k.note != "":
			return fmt.Sprintf(" (that is %s; v5 wants the token URL)", k.note)
		}
		return ""
	}
	if env != EnvironmentLocal && got == own {
		return fmt.Sprintf(" (that is this server's own token URL, the audience of environment local; %s; to accept it, run flamock serve --environment local (config key oauth.environment))", plays)
	}
	return ""
}
