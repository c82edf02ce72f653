// Command body prints the example trainings body of the embedded FLA spec as
// JSON, for scripts/load/run.sh.
package main

import (
	"log"
	"os"

	"github.com/flamock/flamock/profiles/fla"
)

func main() {
	b, err := fla.FLA().ExampleJSON("TrainingSet")
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(b)
}
