// Command body prints the example trainings body of the embedded FLA spec as
// JSON, for scripts/load/run.sh.
package main

import (
	"encoding/json"
	"log"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/flamock/flamock/swagger"
)

func main() {
	var d struct {
		Components struct {
			Examples map[string]struct {
				Value any `yaml:"value"`
			} `yaml:"examples"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(swagger.FLA().Data, &d); err != nil {
		log.Fatal(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(d.Components.Examples["TrainingSet"].Value); err != nil {
		log.Fatal(err)
	}
}
