package profiles_test

import (
	"fmt"

	"github.com/flamock/flamock/profiles"
)

// The profiles flamock knows, and one looked up by name as serve --profile
// does.
func Example() {
	for _, p := range profiles.All() {
		fmt.Println(p.Name)
	}
	_, err := profiles.Lookup("dimona")
	fmt.Println(err)
	// Output:
	// fla
	// generic
	// profiles: unknown profile "dimona"; want one of fla, generic (flamock profiles lists them)
}
