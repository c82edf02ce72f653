package fla

import "github.com/flamock/flamock/certgen"

// Identity is a client identity of the FLA: the client id it registers
// in Chaman under a quality, and its enterprise number.
type Identity struct {
	ClientID         string
	Quality          string
	EnterpriseNumber string // 10 digits
}

// DemoClient is one of the demo clients of flamock serve: its identity,
// a short name for its files, and the key its certificate is made with.
type DemoClient struct {
	Identity
	Name   string // "employer", "provider", "trainingprovider"
	Key    certgen.KeyType
	Digest certgen.Digest
}

// DemoClients are the three demo clients of flamock serve: an employer, a
// social secretariat mandated by it, a training provider. The employer is
// the seed's Postman example (§7.3.1): employer 880820673, calendar year
// 2023, with employee 65111899801 (the seed's 65111899801 has counter 999,
// which the official SSIN rules refuse; same birth date, counter 998 here).
func DemoClients() []DemoClient {
	return []DemoClient{
		{Identity{"self_service_chaman_880820_demoemploy", QualityEmployer, "0880820673"}, "employer", certgen.RSA2048, certgen.SHA256},
		{Identity{"self_service_chaman_314595_demosecret", QualityProvider, "0314595348"}, "provider", certgen.P384, certgen.SHA384},
		{Identity{"self_service_chaman_566988_demotraini", QualityTrainingProvider, "0566988259"}, "trainingprovider", certgen.RSA2048, certgen.SHA256},
	}
}

// DemoMandates are the mandates of the demo: the provider is mandated by
// the employer.
func DemoMandates() []Mandate {
	c := DemoClients()
	return []Mandate{{Provider: c[1].EnterpriseNumber, Employer: c[0].EnterpriseNumber}}
}

// Identities of the conformance suite (flamock conform): the client's
// certificate is registered under one of them, as the scenario's quality
// asks.
const (
	ConformanceProviderClientID         = "self_service_chaman_314595_flamockprv"
	ConformanceProviderNumber           = "0314595348" // the mandatary's enterprise number
	ConformanceTrainingProviderClientID = "self_service_chaman_100923_flamocktrp"
	ConformanceTrainingProviderNumber   = "1009237290"
	ConformanceMandatedEmployer         = "0566988259" // gave the provider an FLA mandate
	ConformanceUnmandatedEmployer       = "0403019261" // did not
)

// ConformanceMandates are the mandates of every conformance scenario.
func ConformanceMandates() []Mandate {
	return []Mandate{{Provider: ConformanceProviderNumber, Employer: ConformanceMandatedEmployer}}
}
