package mockfla

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// A multipart/form-data body is read here rather than by kin-openapi,
// whose decoder refuses a JSON part where a Swagger 2.0 document (which
// can only call a form field a string or a file) declares a string, and
// names no part in its errors. Each part is decoded by its own
// Content-Type: a JSON part (application/json, +json) must be one valid
// JSON value and is validated as that value, except where the schema
// says string (Swagger 2.0's "JSON in a form field"): then its text is the
// value; a binary field keeps its bytes; a text part is read as the
// number or boolean its schema wants. The form is then validated as an
// object against the body schema, and every issue names its part
// (messageToPublish.subject).

// issuesError carries issues decided outside kin-openapi's validation.
type issuesError []Issue

func (e issuesError) Error() string {
	parts := make([]string, len(e))
	for i, is := range e {
		parts[i] = is.String()
	}
	return strings.Join(parts, "; ")
}

// validateMultipart decodes and validates a multipart/form-data body; it
// sets c.value to the form as an object.
func (s *Server) validateMultipart(c *call, in *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody, ct *openapi3.MediaType) error {
	form, issues := decodeMultipart(c.body, c.r.Header.Get("Content-Type"), ct.Schema.Value, ct.Encoding)
	var errs openapi3.MultiError
	if len(issues) > 0 {
		errs = append(errs, issuesError(issues))
	}
	if form != nil {
		err := withoutMissing(ct.Schema.Value.VisitJSON(form, requestOptions(c)...), issues)
		if err != nil {
			errs = append(errs, &openapi3filter.RequestError{Input: in, RequestBody: rb, Reason: "doesn't match schema" + schemaIdentifier(ct.Schema), Err: err})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	c.value = form
	return nil
}

// withoutMissing leaves out of a form's schema error that a part is
// missing when the part came but could not be read (its issue says why).
func withoutMissing(err error, issues []Issue) error {
	if err == nil || len(issues) == 0 {
		return err
	}
	var keep openapi3.MultiError
	for _, e := range flattenErrors(err) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			ptr := se.JSONPointer()
			m := missingProp.FindStringSubmatch(se.Reason)
			if m != nil && (len(ptr) == 0 || (len(ptr) == 1 && ptr[0] == m[1])) &&
				slices.ContainsFunc(issues, func(is Issue) bool { return is.Name == m[1] || strings.HasPrefix(is.Name, m[1]+".") }) {
				continue
			}
		}
		keep = append(keep, e)
	}
	if len(keep) == 0 {
		return nil
	}
	return keep
}

// decodeMultipart reads a multipart/form-data body (ctype is the request's
// Content-Type) into an object of the parts schema sch declares, and the
// issues of the parts it cannot read. A nil form means the body as a whole
// cannot be read.
func decodeMultipart(body []byte, ctype string, sch *openapi3.Schema, enc map[string]*openapi3.Encoding) (map[string]any, []Issue) {
	bad := func(name, detail string) Issue {
		return Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "body", Name: name, Detail: detail}
	}
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil || params["boundary"] == "" {
		is := bad("", "a multipart/form-data body needs a boundary parameter in its Content-Type")
		is.In, is.Name, is.Value = "header", "Content-Type", ctype
		return nil, []Issue{is}
	}
	props := map[string]*openapi3.SchemaRef{}
	collect(sch, props, 0)
	form := map[string]any{}
	var issues []Issue
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, append(issues, bad("", "the body is not valid multipart/form-data: "+clip(err.Error())))
		}
		name := part.FormName()
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, append(issues, bad(name, "the body is not valid multipart/form-data: "+clip(err.Error())))
		}
		if name == "" {
			issues = append(issues, bad("", `a part has no name (Content-Disposition: form-data; name="...")`))
			continue
		}
		ps, array, known := partSchema(sch, props, name)
		if !known {
			if closed(sch) {
				is := bad(name, "unknown input: the form defines no such part")
				is.Type, is.Title = IssueUnknownInput, titleUnknown
				issues = append(issues, is)
			}
			continue
		}
		v, is := partValue(name, data, part.Header.Get("Content-Type"), ps, enc[name])
		if is != nil {
			issues = append(issues, *is)
			continue
		}
		if !array {
			if _, twice := form[name]; twice {
				issues = append(issues, bad(name, "the part is sent more than once; the form takes one"))
			}
			form[name] = v
			continue
		}
		list, _ := form[name].([]any)
		form[name] = append(list, v)
	}
	return form, issues
}

// partSchema is the schema of one value of part name, and whether the
// part may come several times (an array property).
func partSchema(sch *openapi3.Schema, props map[string]*openapi3.SchemaRef, name string) (*openapi3.Schema, bool, bool) {
	ref := props[name]
	if ref == nil && sch.AdditionalProperties.Schema != nil {
		ref = sch.AdditionalProperties.Schema
	}
	if ref == nil || ref.Value == nil {
		return nil, false, false
	}
	if ref.Value.Type.Is("array") && ref.Value.Items != nil && ref.Value.Items.Value != nil {
		return ref.Value.Items.Value, true, true
	}
	return ref.Value, false, true
}

func closed(sch *openapi3.Schema) bool {
	ap := sch.AdditionalProperties.Has
	return ap != nil && !*ap
}

// partValue decodes one part by its Content-Type (else the encoding's).
func partValue(name string, data []byte, ctype string, ps *openapi3.Schema, enc *openapi3.Encoding) (any, *Issue) {
	media := ctype
	if media == "" && enc != nil && !strings.Contains(enc.ContentType, ",") {
		media = enc.ContentType
	}
	mt, _, _ := strings.Cut(strings.ToLower(media), ";")
	mt = strings.TrimSpace(mt)
	if enc != nil && enc.ContentType != "" && ctype != "" && !enc.AllowsContentType(mt) {
		is := Issue{Type: IssueSchemaViolation, Title: titleSchema, In: "body", Name: name, Value: ctype,
			Detail: "the part is sent as " + mt + "; the operation takes it as " + enc.ContentType}
		return nil, &is
	}
	binary := ps.Type.Is("string") && (ps.Format == "binary" || ps.ContentMediaType != "")
	switch {
	case binary:
		return string(data), nil
	case isJSONMedia(mt):
		v, is, _ := strictJSON(data, mt)
		if is != nil {
			is.Name = partName(name, is.Name)
			is.Detail = strings.Replace(is.Detail, "the body", "the part", 1)
			return nil, is
		}
		if ps.Type.Is("string") {
			return string(data), nil // JSON in a form field Swagger 2.0 calls a string
		}
		return v, nil
	}
	return primitive(string(data), ps), nil
}

func partName(part, inner string) string {
	switch {
	case inner == "":
		return part
	case strings.HasPrefix(inner, "["):
		return part + inner
	}
	return part + "." + inner
}

// primitive reads a text part as the number or boolean its schema wants;
// anything else (or text that is none) stays a string, for the schema to
// judge.
func primitive(text string, ps *openapi3.Schema) any {
	switch {
	case ps.Type.Is("integer"):
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return float64(n)
		}
	case ps.Type.Is("number"):
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f
		}
	case ps.Type.Is("boolean"):
		if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
			return b
		}
	}
	return text
}
