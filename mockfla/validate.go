package mockfla

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// validate checks the request against the spec and reports every violation
// (400 badRequest, one issue each: schemaViolation, or unknownInput for a
// body property the schema does not allow and for a query parameter the
// operation does not declare).
//
// kin-openapi checks the parameters; a JSON body is checked here, with
// kin-openapi's schema visitor and options, in the way its
// ValidateRequestBody does (same errors, same defaults written back), but
// decoded once, so the value serves the identifier and business layers too.
// Any other body goes to ValidateRequestBody itself.
func (s *Server) validate(c *call) *response {
	r := c.r
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: c.params, Route: c.route, Options: &s.paramOpts}
	var err error
	if !s.paramsPass(c, in) { // compiled checks: only ever "kin-openapi accepts"
		err = openapi3filter.ValidateRequest(r.Context(), in)
	}
	// A JSON body is held to strictJSON first: encoding/json, and so
	// kin-openapi, would let through trailing data, several values,
	// invalid UTF-8 and duplicate keys. A plain syntax error is left to
	// kin-openapi's decoder when the operation declares a body.
	var bodyIssue *Issue
	rb := c.route.Operation.RequestBody
	if len(c.body) > 0 && isJSONMedia(canonGet(r.Header, "Content-Type")) {
		text := string(c.body)
		if v, ok := parseJSONText(text); ok { // strictJSON's one pass
			c.decoded, c.text = v, text
		} else {
			var syntax bool
			c.decoded, bodyIssue, syntax = strictJSONSlow(c.body, canonGet(r.Header, "Content-Type"))
			if syntax && rb != nil {
				bodyIssue = nil
			}
		}
	}
	if rb != nil && bodyIssue == nil {
		in.Options = &s.reqOpts
		if berr := s.validateBody(c, in, rb.Value); berr != nil {
			// As ValidateRequest with MultiError: the body's error comes last.
			me, _ := err.(openapi3.MultiError)
			err = append(me, berr)
		}
	}
	var unknown []Issue
	if r.URL.RawQuery != "" {
		unknown = unknownQuery(c)
	}
	if err == nil && len(unknown) == 0 && bodyIssue == nil {
		if c.body == nil {
			c.body = []byte{}
		}
		c.layer("schema", true, "")
		return nil
	}
	var issues []Issue
	if err != nil {
		issues = s.issuesOf(c, err)
		if len(issues) == 0 { // never answer 400 without saying why
			issues = []Issue{{Type: IssueSchemaViolation, Title: titleSchema, Detail: clip(err.Error())}}
		}
	}
	if bodyIssue != nil {
		issues = append(issues, *bodyIssue)
	}
	issues = append(issues, unknown...) // a secret's value is hidden by problemResponse
	// kin-openapi walks properties in map order: sort for stable answers.
	slices.SortStableFunc(issues, cmpIssue)
	c.layer("schema", false, strconv.Itoa(len(issues))+" violation(s)")
	return badRequest(issues)
}

const prefixInvalidCT = "header Content-Type has unexpected value" // kin-openapi's

// validateBody validates c.body as openapi3filter.ValidateRequestBody does,
// and sets c.value (the decoded body, with defaults filled in), c.body (with
// defaults filled in) and c.form.
func (s *Server) validateBody(c *call, in *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody) error {
	r := c.r
	data := c.body
	c.form = bodyRaw
	if len(data) == 0 {
		if rb.Required {
			return &openapi3filter.RequestError{Input: in, RequestBody: rb, Err: openapi3filter.ErrInvalidRequired}
		}
		return nil
	}
	if len(rb.Content) == 0 {
		return nil
	}
	inputMIME := canonGet(r.Header, "Content-Type")
	ct := rb.Content.Get(inputMIME)
	if ct == nil {
		return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: fmt.Sprintf("%s %q", prefixInvalidCT, inputMIME)}
	}
	if ct.Schema == nil {
		return nil
	}
	mediaType, _, _ := strings.Cut(inputMIME, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	sv := ct.Schema.Value
	switch {
	case mediaType == mediaMergePatch && sv != nil:
		return s.validateMergePatch(c, in, rb, ct)
	case mediaType == "multipart/form-data" && sv != nil:
		return s.validateMultipart(c, in, rb, ct)
	}
	if mediaType != "application/json" || ct.Encoding[""] != nil || sv == nil ||
		(sv.Type.Is("string") && sv.Format == "binary") || openapi3filter.RegisteredBodyEncoder(mediaType) == nil {
		return s.validateBodyKin(c, in, rb)
	}

	value, ok := c.decoded, c.decoded != nil
	if !ok {
		value, ok = decodeJSON(data)
	}
	if !ok {
		encFn := func(name string) *openapi3.Encoding { return ct.Encoding[name] }
		v, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(data), r.Header, ct.Schema, encFn)
		if err != nil {
			return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "failed to decode request body", Err: err}
		}
		value = v
	}

	if s.compiledBody(c, in, sv, value, ok) {
		return nil
	}
	opts := in.Options
	defaultsSet := false
	vopts := make([]openapi3.SchemaValidationOption, 0, 6+len(opts.SchemaValidationOptions))
	vopts = append(vopts, openapi3.VisitAsRequest())
	if !opts.SkipSettingDefaults {
		vopts = append(vopts, openapi3.DefaultsSet(func() { defaultsSet = true }))
	}
	if opts.MultiError {
		vopts = append(vopts, openapi3.MultiErrors())
	}
	if opts.ExcludeReadOnlyValidations {
		vopts = append(vopts, openapi3.DisableReadOnlyValidation())
	}
	if opts.RegexCompiler != nil {
		vopts = append(vopts, openapi3.SetSchemaRegexCompiler(opts.RegexCompiler))
	}
	vopts = append(vopts, opts.SchemaValidationOptions...)
	if in.Route != nil && in.Route.Spec.IsOpenAPI31OrLater() {
		vopts = append(vopts, openapi3.EnableJSONSchema2020())
	}
	if err := sv.VisitJSON(value, vopts...); err != nil {
		return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "doesn't match schema" + schemaIdentifier(ct.Schema), Err: err}
	}
	if defaultsSet {
		b, err := marshalJSON(value) // json.Marshal's bytes, as kin-openapi writes the defaults back
		if err != nil {
			return &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "rewriting failed", Err: err}
		}
		data = b
		c.form = bodyCompact
	} else if ok {
		c.form = bodyValid
	}
	c.body, c.value = data, value
	return nil
}

// validateBodyKin hands the body to kin-openapi (media types other than
// application/json).
func (s *Server) validateBodyKin(c *call, in *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody) error {
	r := c.r
	body := c.body
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	err := openapi3filter.ValidateRequestBody(r.Context(), in, rb)
	if err != nil {
		return err
	}
	if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		c.value = vb.ValidatedValue()
	}
	if b, rerr := io.ReadAll(r.Body); rerr == nil {
		c.body = b // with defaults filled in, when the spec has some
	}
	return nil
}

// schemaIdentifier is kin-openapi's name of a schema in its errors, with a
// leading space.
func schemaIdentifier(schema *openapi3.SchemaRef) string {
	id := strings.TrimSpace(schema.Ref)
	if id == "" && schema.Value != nil {
		id = strings.TrimSpace(schema.Value.Title)
	}
	if id != "" {
		id = " " + id
	}
	return id
}

// issuesOf flattens kin-openapi's errors into Belgif issues.
func (s *Server) issuesOf(c *call, err error) []Issue {
	var out []Issue
	var walk func(err error)
	walk = func(err error) {
		var me openapi3.MultiError
		if errors.As(err, &me) && isMulti(err) {
			for _, e := range me {
				walk(e)
			}
			return
		}
		var ie issuesError
		if errors.As(err, &ie) {
			out = append(out, ie...)
			return
		}
		var re *openapi3filter.RequestError
		if !errors.As(err, &re) {
			out = append(out, Issue{Type: IssueSchemaViolation, Title: titleSchema, Detail: clip(err.Error())})
			return
		}
		switch {
		case re.Parameter != nil:
			p := re.Parameter
			base := Issue{Type: IssueSchemaViolation, Title: titleSchema, In: p.In, Name: p.Name}
			if v, ok := rawParam(c, p); ok {
				base.Value = v
			}
			out = append(out, schemaIssues(base, re.Err, re.Reason, requestOptions(c)...)...)
		case re.RequestBody != nil:
			base := Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "body"}
			if re.Err == nil && strings.HasPrefix(re.Reason, "header Content-Type") {
				out = append(out, Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "header", Name: "Content-Type",
					Value: canonGet(c.r.Header, "Content-Type"), Detail: "unsupported media type; want one of " + strings.Join(contentTypes(re.RequestBody.Content), ", ")})
				return
			}
			if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
				base.Detail = "a request body is required"
				out = append(out, base)
				return
			}
			var pe *openapi3filter.ParseError
			if errors.As(re.Err, &pe) {
				base.Detail = "the body is not valid " + mediaName(canonGet(c.r.Header, "Content-Type")) + ": " + clip(pe.Error())
				out = append(out, base)
				return
			}
			out = append(out, schemaIssues(base, re.Err, re.Reason, requestOptions(c)...)...)
		default:
			out = append(out, Issue{Type: IssueSchemaViolation, Title: titleSchema, Detail: clip(re.Error())})
		}
	}
	walk(err)
	return out
}

func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

func mediaName(ct string) string {
	if ct == "" {
		return "JSON"
	}
	return ct
}

var (
	missingProp = regexp.MustCompile(`^property "(.*)" is missing$`)
	unknownProp = regexp.MustCompile(`^property "(.*)" is unsupported$`)
)

// schemaIssues turns a schema error (possibly several) into issues that
// name the field with a JSONPath-like name ("trainings[0].endDate"). An
// allOf, anyOf or oneOf that fails is broken down into the issues of its
// failing leaf properties (see leafErrors), validated with opts (default:
// as a request, every error).
func schemaIssues(base Issue, err error, reason string, opts ...openapi3.SchemaValidationOption) []Issue {
	err = normalize2020(err) // OpenAPI 3.1: one issue per violation, as for 3.0
	if len(opts) == 0 {
		opts = []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsRequest()}
	}
	var out []Issue
	seen := map[[2]string]bool{}
	var walk func(err error, prefix []string, depth int)
	walk = func(err error, prefix []string, depth int) {
		if me, ok := err.(openapi3.MultiError); ok {
			for _, e := range me {
				walk(e, prefix, depth)
			}
			return
		}
		var se *openapi3.SchemaError
		if !errors.As(err, &se) {
			is := base
			is.Detail = clip(err.Error())
			if reason != "" && is.Detail != reason {
				is.Detail = reason + ": " + is.Detail
			}
			out = append(out, is)
			return
		}
		if depth < maxLeafDepth {
			if leaves := leafErrors(se, opts); len(leaves) > 0 {
				p := append(slices.Clone(prefix), se.JSONPointer()...)
				for _, e := range leaves {
					walk(normalize2020(e), p, depth+1)
				}
				return
			}
		}
		is := schemaIssue(base, se, append(slices.Clone(prefix), se.JSONPointer()...))
		if k := [2]string{is.Name, is.Detail}; !seen[k] { // allOf parts may repeat a violation
			seen[k] = true
			out = append(out, is)
		}
	}
	if err == nil {
		is := base
		is.Detail = reason
		return []Issue{is}
	}
	walk(err, nil, 0)
	return out
}

// schemaIssue is the issue of one schema error at ptr.
func schemaIssue(base Issue, se *openapi3.SchemaError, ptr []string) Issue {
	is := base
	detail := se.Reason
	if m := missingProp.FindStringSubmatch(se.Reason); m != nil {
		if len(ptr) == 0 || ptr[len(ptr)-1] != m[1] {
			ptr = append(ptr, m[1])
		}
		is.Value = nil
		detail = "required property is missing"
	} else if m := unknownProp.FindStringSubmatch(se.Reason); m != nil {
		if len(ptr) == 0 || ptr[len(ptr)-1] != m[1] {
			ptr = append(ptr, m[1])
		}
		is.Type, is.Title = IssueUnknownInput, titleUnknown
		is.Value = nil // never quoted: see unknownQuery
		detail = "unknown input: the schema defines no such property here"
	} else if is.In == "body" {
		is.Value = scalar(se.Value)
	}
	if detail == "" {
		detail = "does not match schema field " + se.SchemaField
	}
	if name := jsonPathName(ptr); name != "" {
		switch {
		case is.Name == "":
			is.Name = name
		case strings.HasPrefix(name, "["):
			is.Name += name
		default:
			is.Name += "." + name
		}
	}
	is.Detail = clip(detail)
	return is
}

// jsonPathName writes ["trainings","0","name"] as "trainings[0].name",
// and ["0","eventType"] (in a top-level array) as "[0].eventType".
func jsonPathName(ptr []string) string {
	var b strings.Builder
	for _, p := range ptr {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// scalar keeps a value for an issue only when it is a scalar (objects and
// arrays would repeat the request).
func scalar(v any) any {
	switch v.(type) {
	case string, float64, bool, int, int64, float32, int32, json.Number:
		return v
	}
	return nil
}

func rawParam(c *call, p *openapi3.Parameter) (string, bool) {
	switch p.In {
	case "path":
		v, ok := c.params[p.Name]
		return v, ok
	case "query":
		q := c.r.URL.Query()
		if _, ok := q[p.Name]; ok {
			return q.Get(p.Name), true
		}
	case "header":
		if v := c.r.Header.Get(p.Name); v != "" {
			return v, true
		}
	}
	return "", false
}

func clip(s string) string {
	if i := strings.Index(s, "\nSchema:"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

func contentTypes(c openapi3.Content) []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// unknownQuery reports the query parameters the operation does not declare
// (unknownInput issues). Also known: the query names of the operation's
// API-key security schemes, and page and pageSize on the lists and
// collections the mock pages (its own links carry them).
//
// An unknown input (here, and a body member the schema does not define) is
// named, never quoted: Belgif's issue value is optional, and the value of
// an input the document does not describe may be a credential under any
// name (password, apiKey, pin...), which the answer and the journal would
// echo. Its name says what to remove.
func unknownQuery(c *call) []Issue {
	q := c.r.URL.Query()
	var out []Issue
	for name := range q {
		if queryKnown(c, name) {
			continue
		}
		out = append(out, Issue{Type: IssueUnknownInput, Title: titleUnknown, In: "query", Name: name,
			Detail: "unknown input: the operation has no query parameter " + strconv.Quote(name)})
	}
	return out
}

func queryKnown(c *call, name string) bool {
	declared := func(ps openapi3.Parameters) bool {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery && objectQueryKnows(p.Value, name) {
				return true
			}
		}
		return false
	}
	if declared(c.route.Operation.Parameters) || (c.route.PathItem != nil && declared(c.route.PathItem.Parameters)) {
		return true
	}
	if (name == "page" || name == "pageSize") && (c.op.list || (c.op.generic != nil && c.op.generic.kind != kindItem)) {
		return true // the names of the mock's own page links
	}
	for _, req := range c.op.security.requirements {
		for _, u := range req {
			if u.kind == "apiKey" && u.in == "query" && u.key == name {
				return true
			}
		}
	}
	return false
}

// objectQueryKnows reports whether a query name belongs to a declared query
// parameter: its own name; for an object in deepObject style, name[...];
// for an object in form style exploded (the default), one of its
// properties, or any name when the object admits other properties.
func objectQueryKnows(p *openapi3.Parameter, name string) bool {
	if p.Name == name {
		return true
	}
	var sch *openapi3.Schema
	if p.Schema != nil {
		sch = p.Schema.Value
	}
	if sch == nil || !sch.Type.Is("object") {
		return false
	}
	switch {
	case p.Style == openapi3.SerializationDeepObject:
		return strings.HasPrefix(name, p.Name+"[")
	case (p.Style == "" || p.Style == openapi3.SerializationForm) && (p.Explode == nil || *p.Explode):
		if sch.Properties[name] != nil {
			return true
		}
		ap := sch.AdditionalProperties
		return ap.Schema != nil || ap.Has == nil || *ap.Has
	}
	return false
}
