// Package fla is flamock's first profile: the CareerPro Federal Learning
// Account (FLA) REST API, as data the generic engine (package mockfla) and
// the token endpoint (package mockoauth) are configured with.
//
// It holds:
//   - the two OpenAPI documents of the FLA and their base paths (Documents,
//     Specs). The official FLA Swagger file is not public: both documents
//     are reconstructions from public sources, written in the style of the
//     Belgif REST guide (see the info.description of each). A user who has
//     the official file loads it instead (flamock serve --spec
//     FILE[@BASEPATH]). The seed manual (§6.2) gives two production URLs, one
//     for employers, social secretariats and service providers and one for
//     training providers only, so there are two documents;
//   - the qualities under which a client registers in Chaman and their OAuth
//     scopes (Qualities, seed manual §6.1);
//   - the mandates of social secretariats and the service years (Options);
//   - the rules table keyed by operationId: tenant rules (an employer only
//     for itself, a provider only with an active mandate, a training provider
//     only for itself), business rules (service window, dates, durations,
//     certificates, set sizes, duplicate references) and computed answers
//     (the training credit, the provider's trainings of a year) (Rules);
//   - the admin endpoints GET and PUT /__admin/mandates;
//   - the demo identities of flamock serve and the identities of the
//     conformance scenarios (Demo, Conformance).
//
// A Profile is built from Options and gives the engine its rules:
//
//	p, _ := fla.New(fla.Options{Mandates: ms})
//	api, _ := mockfla.New(mockfla.Config{Specs: fla.Specs(), Rules: []*mockfla.Rules{p.Rules()}, ...})
package fla
