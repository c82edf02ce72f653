// Package mockfla is the generic engine of flamock: a spec-driven, stateful
// mock of a Belgian Social Security REST API. It knows no particular API:
// a profile (package profiles/fla for the CareerPro Federal Learning
// Account, the first one) gives it documents (Config.Specs) and rules
// (Config.Rules, see Rules and OpRule).
//
// A Server loads OpenAPI documents (3.0 and 3.1; Swagger 2.0 is converted),
// mounts each at its base path, and answers every request with either a body
// that is valid for the spec or a Belgif application/problem+json problem.
//
// # Order of checks
//
// Each request goes through these layers; the first that refuses answers,
// and the journal records the verdict of each layer that ran:
//
//  1. fault: a queued fault or a Prefer header (see below) answers or delays.
//  2. route: no document or path: 404 resourceNotFound; a path without that
//     method: 405 (about:blank, with Allow).
//  3. auth: the operation's security requirements. No bearer token: 401
//     noAccessToken; the verifier says invalid or revoked: 401
//     invalidAccessToken; expired: 401 expiredAccessToken; each with its
//     WWW-Authenticate header. With a nil Config.Verifier every secured
//     operation is refused (fail closed).
//  4. scope: the token lacks the scopes of every requirement: 403
//     missingScope with requiredScopes and error="insufficient_scope".
//  5. tenant (profile rules, OpRule.Tenant): whether the caller may act on
//     this resource (for the FLA: an employer only for its own enterprise
//     number, a provider only with an active mandate): 403
//     missingPermission whose detail names the rule.
//  6. body size: above Config.MaxBodyBytes: 413 payloadTooLarge with its
//     limit.
//  7. schema: the request against the spec, every violation reported: 400
//     badRequest with one issue per violation (type schemaViolation, in,
//     name as a JSONPath-like "trainings[0].endDate", value, detail); a body
//     property the schema does not allow and a query parameter the operation
//     does not declare are unknownInput issues.
//  8. identifiers: SSINs (and BIS numbers), enterprise numbers and NSSO
//     employer numbers, by their Belgif names (ssin, employerId,
//     enterpriseNumber, providerId, ...; an integer employerId is an NSSO
//     number), in path, query, headers and body, by the rules of the
//     official validators (package internal/beid): 400 badRequest with
//     invalidInput issues whose detail names the rule. A 9-digit enterprise
//     number without its leading zero is accepted and stored in its
//     10-digit form.
//  9. business (profile rules, OpRule.Check, keyed by operationId; for the
//     FLA: service years, dates, durations, certificates, set sizes): 400
//     badRequest, invalidInput.
//  10. store: the profile's computed answer (OpRule.Handle), else the
//     resource semantics every operation shares, with or without a
//     profile rule: PUT stores the body as the client sent it (compact)
//     and answers it (200, or the spec's 201/204); GET answers what is
//     stored, and with nothing stored a 404 resourceNotFound when the
//     resource is truly absent (deleted, its collection holds others, or
//     a path with parameters the client writes with PUT and no collection
//     lists), else the spec's example or a synthesized body; DELETE
//     removes (204); POST to a collection creates an item; PATCH merges;
//     a GET of a collection lists the resources under it a page at a time
//     (page, pageSize, self, first, prev, next). Other methods answer the
//     spec's example of their success status. A refusal is answered in
//     the operation's own error model (see errmodel.go).
//  11. response: with Config.Strict the answer is validated against the
//     spec; a mismatch is logged at error level and answered as a 500
//     internalServerError problem naming the drift.
//
// Client input never causes a 5xx; a panic is recovered, logged, journaled
// and answered with a 500 internalServerError problem.
//
// Every issue carries the href of its type's page; an issue about several
// inputs lists them in inputs. A 404 for a path that ends with a path
// parameter names it in an issue. A 429 or 503 carries retryAfter,
// retryAfterSec and a Retry-After header. A problem is fitted to the
// operation's Problem schema when that schema forbids other members. Every
// response, of the API and of the admin API, carries a BelGov-Trace-Id of
// the server's (Config.Rand) and, when the request had one, a
// BelGov-Related-Trace-Id holding the caller's own.
//
// # Admin API
//
// The admin API lives under /__admin/, outside every mounted document, and
// needs no token (the mock is a test tool: do not expose it). Errors are
// problem+json.
//
//	GET    /__admin/health            {"status":"UP","specs":[...],"resources":N,...}
//	GET    /__admin/ready             {"status":"UP"} once the server is built
//	GET    /__admin/journal?since=N   {"events":[...],"last":N,"dropped":N}: events with a sequence number > N
//	GET    /__admin/journal/stream    server-sent events, one JSON event per "data:" line, id = sequence
//	                                  number; ?since=N or Last-Event-ID replays what was missed
//	DELETE /__admin/journal           forget the events in memory (sequence numbers keep growing)
//	GET    /__admin/faults            200 {"faults":[...]}: the queued faults with the requests they have left
//	POST   /__admin/faults            queue a Fault or a list of them: 201 {"faults":[...]}; 400 naming an unknown key
//	DELETE /__admin/faults            204: forget every queued fault
//	DELETE /__admin/state             forget every stored resource (durably)
//
// A profile adds its own endpoints (Rules.Admin), e.g. the FLA's
// GET and PUT /__admin/mandates.
//
// A fault applies to the next Count requests whose method and path match;
// durations are written as Go durations. The token endpoint takes the same
// faults, with the same semantics, at /__admin/oauth/faults.
//
//	{"method":"PUT","path":"/REST/careerpro-fla/v1/*","count":2,"status":503,"retryAfter":"5s"}
//	{"path":"*","delay":"1.5s"}
//	{"method":"GET","drop":true}
//
// One request can also ask for a fault itself, as with Prism:
// "Prefer: code=503", optionally with "retry-after=5" and "delay=200" (ms).
//
// # State file
//
// With Config.StateFile, a write (PUT, DELETE, state reset) is appended to
// the file and synced (fsync) before it is applied and acknowledged, so an
// acknowledged write survives a crash or a kill -9. Concurrent writes share
// one append and one fsync (group commit); each is acknowledged only after
// the fsync that covers it. Each line of the file is one record:
//
//	CRC SP JSON LF
//
// where JSON is {"op":"put","key":PATH,"data":BASE64}, {"op":"delete","key":PATH}
// or {"op":"reset"}, and CRC is the CRC-32 (IEEE) of the JSON bytes in
// 8 lowercase hex digits.
//
// A write that fails (a full disk) is answered 503 and undone: the file is
// truncated back to the end of the last synced record, so it never holds
// part of a record a reader could take for one, and the next write goes on
// from there once the disk has room. If even the truncation fails, writes
// are refused (503) until it succeeds; /__admin/health is DEGRADED with the
// error meanwhile.
//
// On start the file is replayed line by line. An unfinished last line is a
// write cut short by a crash, never acknowledged: it is dropped with a
// warning. A line whose checksum or form is wrong is damage: it is skipped,
// the intact records before and after it are kept, an error is logged,
// /__admin/health reports DEGRADED with the count, and the original file
// is kept as FILE.damaged-<time> before the file is rewritten. The live
// resources are then written to FILE.tmp, synced, renamed over FILE and
// the directory synced, so the file is compact after every start. While
// running, the log is compacted the same way in the background once it is
// larger than 1 MiB and four times the live resources; writes go on
// meanwhile. A read-only state file is an error. CheckStateFile reads a
// file without changing it (flamock state check). Server.Close syncs and
// closes the file.
//
// # In Go tests
//
// NewTestServer runs a Server on 127.0.0.1 in the style of httptest, with
// Strict on, and closes it when the test ends. The TokenVerifier interface is
// what the server needs from a token endpoint; *mockoauth.Server satisfies it.
package mockfla
