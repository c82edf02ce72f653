// Package profiles lists the API profiles flamock knows. A profile is a
// package of its own (profiles/fla, profiles/generic) that exports a
// stack.Profile; adding one is writing that package and adding one line to
// All.
package profiles

import (
	"fmt"
	"strings"

	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
)

// Default is the profile of flamock serve without --profile and --spec.
const Default = fla.Name

// Generic is the profile of flamock serve --spec without --profile.
const Generic = generic.Name

// All returns the profiles, one line each.
func All() []stack.Profile {
	return []stack.Profile{
		fla.StackProfile(),
		generic.StackProfile(),
	}
}

// Lookup returns the profile named name, or an error that lists the names.
func Lookup(name string) (stack.Profile, error) {
	var names []string
	for _, p := range All() {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return stack.Profile{}, fmt.Errorf("profiles: unknown profile %q; want one of %s (flamock profiles lists them)", name, strings.Join(names, ", "))
}
