package fla_test

import (
	"fmt"

	"github.com/flamock/flamock/profiles/fla"
)

// The embedded documents, where flamock serves them by default, and a
// request body one of them shows.
func Example() {
	for _, d := range fla.Documents() {
		fmt.Println(d.Name, d.BasePath)
	}
	body, _ := fla.FLA().ExampleJSON("TrainingRights")
	fmt.Print(string(body))
	// Output:
	// fla.yaml /REST/careerpro-fla/v1
	// fla-training-provider.yaml /REST/careerpro-fla-training-provider/v1
	// {
	//   "basis": "statutory",
	//   "carriedOverDays": 0,
	//   "rightDays": 4
	// }
}
