// Package conformance judges a client of an OAuth v5 Social Security API
// (the FLA's, or any OpenAPI document's), in any language, against a
// catalogue of rules (Rules; RULES.md), each with a stable id, a level
// (MUST or SHOULD) and its source. It takes the API profile as a value
// (SuiteConfig.Profile, whose stack.API model the scenarios are built
// from) and imports no profile package.
//
// Three parts, plain Go (the Ginkgo suite that proves them lives in this
// package's tests only, so that cmd/flamock never links Ginkgo):
//
//   - the launcher (Launch) runs the client's adapter command in a process
//     group of its own under a time limit, and parses its JSON result lines
//     (the adapter contract: CONTRACT.md);
//   - the scenarios (NewPlan: from the profile's API model and the
//     operations the client implements; Suite.Run) start mockoauth and mockfla on a
//     loopback HTTPS server with a generated CA, plant faults and state,
//     run the client once each, and collect the journal, the wire exchanges
//     and the results into a Trace;
//   - the judges (Judge) decide the rules from a Trace; BuildReport turns
//     findings into one Outcome per rule; a Report renders as text, JSON
//     or JUnit XML. Verify judges a recorded journal alone (flamock verify).
//     The token-request rules read the journal's structured fields (the
//     check that refused, journal.Token.Stage; Method, ContentType,
//     ClientAuth; journal.API.TokenInQuery), never the words of an error
//     description, except to place refusals in journals recorded before
//     those fields existed.
//
// Conform is the one-shot entry point of flamock conform.
package conformance
