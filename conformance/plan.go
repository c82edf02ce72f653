package conformance

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/flamock/flamock/stack"
)

// Plan is what a run on one API does: the scenarios built from the
// profile's API model and the operations the vendor chose, the rules no
// scenario can exercise there (with the reason), and the operations left
// out.
type Plan struct {
	Scenarios []Scenario
	// NotExercised maps each rule that no scenario of the plan can
	// exercise on this API and choice of operations to the reason.
	NotExercised map[string]string
	// Notes say which operations were left out, and why.
	Notes []string
}

// refusal is a scenario whose first call is refused.
type refusal struct {
	name, doc string
	scopes    []string
	ops       []Operation
}

// planner builds a Plan.
type planner struct {
	api         *stack.API
	chosen      map[string]bool // nil: the profile's default calls
	calls       []Operation
	happy       []Operation
	several     []Operation
	invalid     *refusal
	tenant      *refusal
	wrongScope  *refusal
	flows       []Scenario
	identifiers bool
	unbuilt     []gap
	notes       []string
}

// gap is a scenario that could not be built: the rules it would have
// exercised and why.
type gap struct {
	rules  []string
	reason string
}

// NewPlan builds the scenarios of a run on api. operations are the
// operationIds the client implements (--operation); nil means the
// profile's own calls when it has them, else every operation with a
// success response that the adapter contract can carry.
func NewPlan(api *stack.API, operations []string) (*Plan, error) {
	if api == nil {
		return nil, errors.New("conformance: no API model")
	}
	b := &planner{api: api}
	if err := b.choose(operations); err != nil {
		return nil, err
	}
	if err := b.build(); err != nil {
		return nil, err
	}
	p := &Plan{Scenarios: b.scenarios(), NotExercised: map[string]string{}, Notes: b.notes}
	exercised := map[string]bool{}
	for _, sc := range p.Scenarios {
		for _, r := range sc.Exercises() {
			exercised[r] = true
		}
	}
	if !b.identifiers {
		b.unbuilt = append(b.unbuilt, gap{[]string{APIIdentifier}, "no chosen operation carries " + noIdentifier})
	}
	if api.Conformance.Tenant == nil {
		b.unbuilt = append(b.unbuilt, gap{[]string{APITenant}, noTenant(api)})
	}
	for _, g := range b.unbuilt {
		for _, r := range g.rules {
			if !exercised[r] {
				if p.NotExercised[r] != "" {
					p.NotExercised[r] += "; "
				}
				p.NotExercised[r] += g.reason
			}
		}
	}
	return p, nil
}

const noIdentifier = "a Belgian identifier (SSIN, enterprise or employer number) in its path or query"

func noTenant(api *stack.API) string { return "the " + api.Profile + " profile has no tenant rule" }

// APIGaps are the rules that no traffic on api can exercise, with the
// reason: the tenant rule on a profile without one, the identifier rule
// where no operation carries an identifier.
func APIGaps(api *stack.API) map[string]string {
	out := map[string]string{}
	if api == nil {
		return out
	}
	if api.Conformance.Tenant == nil {
		out[APITenant] = noTenant(api)
	}
	if !slices.ContainsFunc(api.Operations, func(o stack.Operation) bool { return o.Identifiers }) {
		out[APIIdentifier] = "no operation carries " + noIdentifier
	}
	return out
}

// choose checks the chosen operations; with none, it notes the operations
// the default run leaves out.
func (b *planner) choose(ids []string) error {
	if ids == nil && b.api.Conformance.Calls == nil {
		for _, op := range b.api.Operations {
			switch {
			case op.Success == 0:
				b.notes = append(b.notes, fmt.Sprintf("operation %s left out: it declares no success response", op.ID))
			case op.Unsupported != "":
				b.notes = append(b.notes, fmt.Sprintf("operation %s left out: %s", op.ID, op.Unsupported))
			}
		}
	}
	if ids == nil {
		return nil
	}
	b.chosen = map[string]bool{}
	var errs []error
	for _, id := range ids {
		op, ok := b.api.Operation(id)
		switch {
		case !ok:
			var known []string
			for _, o := range b.api.Operations {
				known = append(known, o.ID)
			}
			errs = append(errs, fmt.Errorf("unknown operation %q; the documents have %s", id, strings.Join(known, ", ")))
		case op.Unsupported != "":
			errs = append(errs, fmt.Errorf("operation %s cannot be judged: %s", id, op.Unsupported))
		case b.chosen[id]:
			errs = append(errs, fmt.Errorf("operation %s is named twice", id))
		}
		b.chosen[id] = true
	}
	if len(ids) == 0 {
		errs = append(errs, errors.New("no operation chosen"))
	}
	return errors.Join(errs...)
}

// uses reports whether every call's operation was chosen (always, when
// the run takes the profile's defaults).
func (b *planner) uses(calls []stack.Call) bool {
	return b.chosen == nil || !slices.ContainsFunc(calls, func(c stack.Call) bool { return !b.chosen[c.Operation] })
}

// build makes the calls of the scenarios.
func (b *planner) build() error {
	c := b.api.Conformance
	var err error
	if b.chosen == nil && c.Calls != nil {
		b.calls, err = b.ops(c.Calls)
	} else {
		b.calls, err = b.ops(b.defaultCalls())
	}
	if err != nil {
		return err
	}
	if len(b.calls) == 0 {
		return errors.New("conformance: no operation to call: the documents have no operation with a success response the adapter contract can carry")
	}
	for _, op := range b.api.Operations {
		if op.Identifiers && slices.ContainsFunc(b.calls, func(o Operation) bool { return o.OperationID == op.ID }) {
			b.identifiers = true
		}
	}
	b.buildHappy()
	if b.chosen == nil && c.Several != nil {
		if b.several, err = b.ops(c.Several); err != nil {
			return err
		}
	} else if len(b.calls) > len(b.happy) {
		b.several = b.calls
	}
	if err := b.buildRefusals(); err != nil {
		return err
	}
	for _, fl := range c.Flows {
		if !b.uses(fl.Calls) {
			b.unbuilt = append(b.unbuilt, gap{[]string{TokenHeader}, "scenario " + fl.Name + " needs operations not chosen"})
			continue
		}
		ops, err := b.ops(fl.Calls)
		if err != nil {
			return err
		}
		b.flows = append(b.flows, Scenario{Name: fl.Name, Doc: fl.Doc, Client: fl.Client, Scopes: fl.Scopes, Ops: ops, Decides: b.valid()})
	}
	return nil
}

// buildHappy picks the calls of the happy path: the first two (one
// call alone has no second to reuse its token for).
func (b *planner) buildHappy() {
	b.happy = b.calls[:min(2, len(b.calls))]
	if b.tokenCall() == 0 {
		b.unbuilt = append(b.unbuilt, gap{[]string{TokenRenew, TokenRetry},
			"no operation of the happy path needs an access token (no security requirement): no 401 to recover from"})
	}
	if len(b.happy) == 1 {
		b.unbuilt = append(b.unbuilt, gap{[]string{TokenReuse},
			"one operation chosen: no second call to reuse the token for; choose another operation"})
	}
}

// defaultCalls are one call per chosen operation (every operation with a
// success response the contract carries, without a choice), in callOrder.
func (b *planner) defaultCalls() []stack.Call {
	var ops []stack.Operation
	for _, op := range b.api.Operations {
		if b.chosen != nil && !b.chosen[op.ID] || b.chosen == nil && (op.Success == 0 || op.Unsupported != "") {
			continue
		}
		ops = append(ops, op)
	}
	var out []stack.Call
	names := map[string]bool{}
	for _, op := range callOrder(ops) {
		name := callName(op.ID)
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s-%d", callName(op.ID), i)
		}
		names[name] = true
		out = append(out, stack.Call{Name: name, Operation: op.ID, Request: op.Valid})
	}
	return out
}

// callOrder puts the writes first (POST, PUT, PATCH), then the reads of
// what they wrote (same path), the other reads, and the deletions last:
// the happy path, its first two calls, writes a resource and reads it back.
func callOrder(ops []stack.Operation) []stack.Operation {
	written := map[string]bool{}
	rank := func(op stack.Operation) int {
		switch op.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			return 0
		case http.MethodDelete:
			return 3
		}
		if written[op.Valid.Path] {
			return 1
		}
		return 2
	}
	for _, op := range ops {
		if rank(op) == 0 {
			written[op.Valid.Path] = true
		}
	}
	return slices.SortedStableFunc(slices.Values(ops), func(a, b stack.Operation) int { return rank(a) - rank(b) })
}

// buildRefusals makes validation-error, the tenant refusal and the
// missing-scope refusal.
func (b *planner) buildRefusals() error {
	c := b.api.Conformance
	last := b.happy[len(b.happy)-1]
	var err error
	switch {
	case b.chosen == nil && c.Invalid != nil:
		b.invalid, err = b.refusal(*c.Invalid)
	default:
		b.invalid = b.invalidCall(last)
	}
	if err != nil {
		return err
	}
	switch {
	case c.Tenant != nil && b.uses(c.Tenant.Calls):
		b.tenant, err = b.refusal(*c.Tenant)
	case c.Tenant != nil:
		b.unbuilt = append(b.unbuilt, gap{[]string{APINoRetry, APIDetail}, "the tenant refusal needs operations not chosen"})
	}
	if err != nil {
		return err
	}
	if c.WrongScope != nil && (b.chosen == nil || b.uses(c.WrongScope.Calls)) {
		b.wrongScope, err = b.refusal(*c.WrongScope)
		return err
	}
	b.wrongScope = b.missingScope()
	return nil
}

func (b *planner) refusal(r stack.Refusal) (*refusal, error) {
	ops, err := b.ops(r.Calls)
	if err != nil {
		return nil, err
	}
	return &refusal{name: r.Name, doc: r.Doc, scopes: r.Scopes, ops: ops}, nil
}

// invalidCall is validation-error from the chosen operations: an invalid
// body where one takes a JSON body, else an invalid parameter; then a
// valid call.
func (b *planner) invalidCall(then Operation) *refusal {
	var pick *stack.Operation
	var name string
	for _, c := range b.calls {
		op, _ := b.api.Operation(c.OperationID)
		if op.Invalid == nil || (pick != nil && (len(pick.Invalid.Body) > 0 || len(op.Invalid.Body) == 0)) {
			continue
		}
		pick, name = &op, c.ID
	}
	if pick == nil {
		b.unbuilt = append(b.unbuilt, gap{[]string{APINoRetry, APIDetail}, "no chosen operation has a request its spec refuses (no JSON body, no constrained parameter)"})
		return nil
	}
	inv, err := b.op(stack.Call{Name: name + "-invalid", Operation: pick.ID, Request: *pick.Invalid})
	if err != nil {
		return nil
	}
	return &refusal{name: "validation-error", doc: "a request the spec refuses (" + pick.Invalid.Why + "): 400 reported with every detail, not retried",
		ops: []Operation{inv, then}}
}

// missingScope is a refusal for a token without the scope an operation
// needs, when the spec declares scopes.
func (b *planner) missingScope() *refusal {
	var pick *refusal
	for _, c := range b.calls {
		op, _ := b.api.Operation(c.OperationID)
		if len(op.Scopes) == 0 {
			continue
		}
		var other []string
		for _, s := range b.api.Scopes {
			if !slices.Contains(op.Scopes, s) {
				other = append(other, s)
			}
		}
		if len(other) == 0 && pick != nil {
			continue
		}
		if len(other) == 0 {
			other = []string{OtherScope}
		}
		pick = &refusal{name: "missing-scope", scopes: other, ops: []Operation{c},
			doc: fmt.Sprintf("the client's token carries %s, not the scope %s needs (%s): 403 reported, not retried",
				strings.Join(other, " "), op.ID, strings.Join(op.Scopes, " or "))}
		if other[0] != OtherScope {
			return pick
		}
	}
	if pick == nil {
		b.unbuilt = append(b.unbuilt, gap{[]string{APINoRetry, APIDetail}, "the spec declares no scope on the chosen operations"})
	}
	return pick
}

// OtherScope is the scope a client gets in missing-scope when the spec
// declares only the scopes the operation needs.
const OtherScope = "scope:flamock:conformance:other"

// ops turns a profile's calls into operations.
func (b *planner) ops(calls []stack.Call) ([]Operation, error) {
	var out []Operation
	for _, c := range calls {
		op, err := b.op(c)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

func (b *planner) op(c stack.Call) (Operation, error) {
	op, ok := b.api.Operation(c.Operation)
	if !ok {
		return Operation{}, fmt.Errorf("conformance: call %s: the %s profile has no operation %q", c.Name, b.api.Profile, c.Operation)
	}
	if ct := c.Request.ContentType; ct != "" && ct != "application/json" {
		return Operation{}, fmt.Errorf("conformance: call %s: a %s body; the adapter contract sends JSON", c.Name, ct)
	}
	return Operation{ID: c.Name, OperationID: op.ID, Method: op.Method, Path: c.Request.Path, Body: c.Request.Body, base: op.BasePath}, nil
}

// base returns the base path of the operations' URL: their document's when
// they share one, else the root (each path then starts with its base).
func (b *planner) base(ops []Operation) (string, []Operation) {
	if len(ops) == 0 || !slices.ContainsFunc(ops, func(o Operation) bool { return o.base != ops[0].base }) {
		if len(ops) == 0 {
			return "", ops
		}
		return ops[0].base, ops
	}
	out := slices.Clone(ops)
	for i := range out {
		out[i].Path = out[i].base + out[i].Path
		out[i].base = ""
	}
	return "", out
}

// scopesOf are the scopes an identity asks for: the profile's for its
// conformance client, else those of the quality, else every scope of the
// documents.
func (b *planner) scopesOf(id stack.Identity) []string {
	c := b.api.Conformance
	if c.Scopes != nil && id == c.Client {
		return c.Scopes
	}
	if s, ok := b.api.Qualities[id.Quality]; ok {
		return s
	}
	return b.api.Scopes
}

// callName is the result id of a call of an operation: its operationId
// in kebab case ("declareAttestation": "declare-attestation").
func callName(id string) string {
	var sb strings.Builder
	prev := rune(0)
	for _, r := range id {
		switch {
		case r < 128 && unicode.IsUpper(r):
			if unicode.IsLower(prev) || unicode.IsDigit(prev) {
				sb.WriteByte('-')
			}
			sb.WriteRune(unicode.ToLower(r))
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_'):
			sb.WriteRune(r)
		default:
			if prev != '-' {
				sb.WriteByte('-')
			}
			r = '-'
		}
		prev = r
	}
	return strings.Trim(sb.String(), "-")
}
