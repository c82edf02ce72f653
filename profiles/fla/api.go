package fla

import (
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/stack"
)

// The FLA's API model: its documents and operations, the requests of the
// conformance suite (flamock conform) and its identities.

// Test data of the conformance requests: valid SSINs (domain.md §5) and
// the year of the operations.
const (
	conformanceSSIN      = "85073003328"
	conformanceOtherSSIN = "93051822361"
	conformanceYear      = "2024"
	conformanceTraining  = "FORKLIFT-2024-07"
)

// ValidTrainings is a trainings set every FLA rule accepts (the conformance
// suite's PUT body).
const ValidTrainings = `{"trainings":[{"reference":"FS-2024-03","name":"Fire safety","startDate":"2024-03-04","endDate":"2024-03-04",` +
	`"duration":{"value":4,"unit":"hours"},"status":"completed","trainingType":"formal","certificate":{"received":true,"validUntil":"2027-03-04"}}]}`

// InvalidTrainings breaks the trainings schema in several places at once.
const InvalidTrainings = `{"trainings":[{"name":"","startDate":"2024-13-01","endDate":"2024-03-01",` +
	`"duration":{"value":-1,"unit":"weeks"},"status":"done","trainingType":"formal"}]}`

const (
	validRights      = `{"rightDays":5,"basis":"statutory"}`
	providerTraining = `{"name":"Forklift driver certificate","startDate":"2024-07-01","endDate":"2024-07-03",` +
		`"duration":{"value":21,"unit":"hours"},"trainingType":"formal","participants":[` +
		`{"ssin":"85073003328","employerId":"0566988259","status":"completed","certificate":{"received":true,"validUntil":"2029-07-03"}}]}`
)

// hints are the FLA's parameter values: the conformance identities, so
// that a request built for any operation is permitted.
var hints = map[string]string{
	"employerId":        ConformanceMandatedEmployer,
	"ssin":              conformanceSSIN,
	"calendarYear":      conformanceYear,
	"providerId":        ConformanceTrainingProviderNumber,
	"trainingReference": conformanceTraining,
}

func employeePath(employer, ssin, leaf string) string {
	return "/employers/" + employer + "/employees/" + ssin + "/calendarYears/" + conformanceYear + "/" + leaf
}

func providerPath() string {
	return "/trainingProviders/" + ConformanceTrainingProviderNumber + "/trainings/" + conformanceTraining
}

func call(name, opID, path, body string) stack.Call {
	c := stack.Call{Name: name, Operation: opID, Request: stack.Request{Path: path}}
	if body != "" {
		c.Request.ContentType, c.Request.Body = "application/json", []byte(body)
	}
	return c
}

// API is the FLA's API model (stack.Profile.API): for specs, or the two
// FLA documents when specs is empty.
func API(specs []mockfla.Spec, _ stack.Settings) (*stack.API, error) {
	if len(specs) == 0 {
		specs = Specs()
	}
	a, err := stack.NewAPI(Name, specs, stack.Hints{Params: hints})
	if err != nil {
		return nil, err
	}
	if a.Demo, err = demo(); err != nil {
		return nil, err
	}
	a.Qualities = Qualities()
	own := map[string]string{ // the FLA's own bodies, which its business rules accept
		"putTrainings":        ValidTrainings,
		"putTrainingRights":   validRights,
		"putProviderTraining": providerTraining,
	}
	for i, op := range a.Operations {
		if body, ok := own[op.ID]; ok {
			a.Operations[i].Valid.Body = []byte(body)
		}
		if op.ID == "putTrainings" {
			a.Operations[i].Invalid = &stack.Request{Path: op.Valid.Path, ContentType: "application/json", Body: []byte(InvalidTrainings),
				Why: "an empty name, a 13th month, a negative duration in weeks, an unknown status"}
		}
	}
	a.Conformance = conformance()
	return a, nil
}

// conformance is the FLA's conformance suite: a social secretariat
// mandated by one employer, and a training provider.
func conformance() stack.Conformance {
	putA := call("put-trainings", "putTrainings", employeePath(ConformanceMandatedEmployer, conformanceSSIN, "trainings"), ValidTrainings)
	getA := call("get-trainings", "getTrainings", employeePath(ConformanceMandatedEmployer, conformanceSSIN, "trainings"), "")
	b := func(leaf string) string { return employeePath(ConformanceMandatedEmployer, conformanceOtherSSIN, leaf) }
	return stack.Conformance{
		Client: stack.Identity{ClientID: ConformanceProviderClientID, Quality: QualityProvider, EnterpriseNumber: ConformanceProviderNumber},
		Calls:  []stack.Call{putA, getA},
		Doc:    "get a token, PUT the trainings of an employee, GET them back",
		Several: []stack.Call{
			call("put-trainings", "putTrainings", b("trainings"), ValidTrainings),
			call("get-trainings", "getTrainings", b("trainings"), ""),
			call("put-rights", "putTrainingRights", b("trainingRights"), validRights),
			call("get-rights", "getTrainingRights", b("trainingRights"), ""),
			call("get-credit", "getTrainingCredit", b("trainingCredit"), ""),
		},
		Invalid: &stack.Refusal{Name: "validation-error", Doc: "a body with several schema violations: 400 with issues, not retried, every detail reported", Calls: []stack.Call{
			call("put-invalid", "putTrainings", putA.Request.Path, InvalidTrainings), getA,
		}},
		Tenant: &stack.Refusal{Name: "unmandated-employer", Doc: "a call for an employer that gave the client no mandate: 403 reported, not retried",
			Calls: []stack.Call{call("put-unmandated", "putTrainings", employeePath(ConformanceUnmandatedEmployer, conformanceSSIN, "trainings"), ValidTrainings), getA}},
		WrongScope: &stack.Refusal{Name: "wrong-scope-quality", Doc: "the client's token carries the training-provider scope only: 403 missingScope reported, not retried",
			Scopes: []string{TrainingProviderScope}, Calls: []stack.Call{getA}},
		Flows: []stack.Flow{{
			Name: "training-provider", Doc: "a training provider registers a training in its own name and reads it back",
			Client: stack.Identity{ClientID: ConformanceTrainingProviderClientID, Quality: QualityTrainingProvider, EnterpriseNumber: ConformanceTrainingProviderNumber},
			Calls: []stack.Call{
				call("put-provider-training", "putProviderTraining", providerPath(), providerTraining),
				call("get-provider-training", "getProviderTraining", providerPath(), ""),
			},
		}},
		Env: []stack.EnvBase{
			{Name: "FLAMOCK_EMPLOYER_API_URL", BasePath: EmployerBasePath},
			{Name: "FLAMOCK_TRAINING_PROVIDER_API_URL", BasePath: TrainingProviderBasePath},
		},
	}
}
