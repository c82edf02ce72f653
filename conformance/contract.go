package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Environment variables the suite sets for the client's command (see
// CONTRACT.md). Every value is an absolute URL, an absolute file name or
// plain text.
const (
	EnvTokenURL         = "FLAMOCK_TOKEN_URL"          // token endpoint; also the assertion's aud
	EnvAPIURL           = "FLAMOCK_API_URL"            // base URL the operations' paths are relative to
	EnvClientID         = "FLAMOCK_CLIENT_ID"          // iss and sub of the assertion
	EnvScope            = "FLAMOCK_SCOPE"              // scope to ask for (space-separated)
	EnvKeyP12           = "FLAMOCK_KEY_P12"            // PKCS#12 file: key and certificate
	EnvKeyP12Password   = "FLAMOCK_KEY_P12_PASSWORD"   // its password
	EnvKeyPEM           = "FLAMOCK_KEY_PEM"            // PEM PKCS#8 private key
	EnvCertPEM          = "FLAMOCK_CERT_PEM"           // PEM certificate
	EnvCAFile           = "FLAMOCK_CA_FILE"            // PEM CA certificate(s) to trust for HTTPS
	EnvOperations       = "FLAMOCK_OPERATIONS"         // JSON operations file
	EnvOperationsTSV    = "FLAMOCK_OPERATIONS_TSV"     // the same, one tab-separated line per operation, for shell adapters
	EnvScenario         = "FLAMOCK_SCENARIO"           // scenario name, for the client's logs only
	EnvTimeLimitSeconds = "FLAMOCK_TIME_LIMIT_SECONDS" // the run is killed after this many seconds
)

// Operation is one API call the client must make, in order.
type Operation struct {
	// ID names the operation in the result line.
	ID string `json:"id"`
	// OperationID is the OpenAPI operationId, for information.
	OperationID string `json:"operationId,omitempty"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is relative to FLAMOCK_API_URL and starts with "/".
	Path string `json:"path"`
	// Body is the JSON request body to send as is (application/json), or
	// absent.
	Body json.RawMessage `json:"body,omitempty"`
	// PauseMillis is waited before the operation starts.
	PauseMillis int `json:"pauseMs,omitempty"`

	base string // the base path of its document (the suite's, not sent)
}

// OperationsFile is the content of the FLAMOCK_OPERATIONS file.
type OperationsFile struct {
	Scenario   string      `json:"scenario"`
	Operations []Operation `json:"operations"`
}

// Result is one line the client prints on stdout per operation.
type Result struct {
	// ID is the operation's id.
	ID string `json:"id"`
	// Status is the HTTP status of the final answer; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Body is the final answer's body: JSON as is, other text as a JSON
	// string; absent when empty.
	Body json.RawMessage `json:"body,omitempty"`
	// Error says why there was no answer (TLS, connection, token refused).
	Error string `json:"error,omitempty"`
}

// ParseResults reads the JSON lines of a client's stdout. Blank lines are
// ignored; anything else that is not a result object is a problem.
func ParseResults(stdout []byte) ([]Result, []string) {
	var out []Result
	var problems []string
	for i, line := range bytes.Split(stdout, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r Result
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			problems = append(problems, fmt.Sprintf("stdout line %d is not a result object (%v): %s", i+1, err, clip(string(line), 200)))
			continue
		}
		if dec.More() {
			problems = append(problems, fmt.Sprintf("stdout line %d holds more than one JSON value: %s", i+1, clip(string(line), 200)))
			continue
		}
		if r.ID == "" {
			problems = append(problems, fmt.Sprintf("stdout line %d has no id: %s", i+1, clip(string(line), 200)))
			continue
		}
		if r.Status == 0 && r.Error == "" {
			problems = append(problems, fmt.Sprintf("stdout line %d (id %s) has neither status nor error", i+1, r.ID))
		}
		out = append(out, r)
	}
	return out, problems
}

// matchResults pairs results with operations by id and reports missing,
// unknown and duplicate ids.
func matchResults(ops []Operation, results []Result) (map[string]Result, []string) {
	byID := map[string]Result{}
	known := map[string]bool{}
	for _, op := range ops {
		known[op.ID] = true
	}
	var problems []string
	for _, r := range results {
		switch {
		case !known[r.ID]:
			problems = append(problems, fmt.Sprintf("result for unknown operation %q", r.ID))
		case byID[r.ID].ID != "":
			problems = append(problems, fmt.Sprintf("two results for operation %q", r.ID))
		default:
			byID[r.ID] = r
		}
	}
	for _, op := range ops {
		if _, ok := byID[op.ID]; !ok {
			problems = append(problems, fmt.Sprintf("no result for operation %q", op.ID))
		}
	}
	return byID, problems
}

// WriteOperationsTSV writes the operations for shell adapters: one line
// per operation with id, method, path, pause in milliseconds and the name
// of a file holding the body ("-" for none), separated by tabs. Bodies are
// written next to tsvFile.
func WriteOperationsTSV(tsvFile string, ops []Operation) error {
	var b strings.Builder
	dir := filepath.Dir(tsvFile)
	for i, op := range ops {
		body := "-"
		if len(op.Body) > 0 {
			body = filepath.Join(dir, fmt.Sprintf("body-%d.json", i+1))
			if err := os.WriteFile(body, op.Body, 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%d\t%s\n", op.ID, op.Method, op.Path, op.PauseMillis, body)
	}
	return os.WriteFile(tsvFile, []byte(b.String()), 0o644)
}

func (o Operation) validate() error {
	var errs []error
	if o.ID == "" {
		errs = append(errs, errors.New("operation without id"))
	}
	if o.Method == "" || strings.ToUpper(o.Method) != o.Method {
		errs = append(errs, fmt.Errorf("operation %q: method %q must be upper case", o.ID, o.Method))
	}
	if strings.ContainsAny(o.ID+o.Path, "\t\n\r ") {
		errs = append(errs, fmt.Errorf("operation %q: id and path must not contain blanks", o.ID))
	}
	if !strings.HasPrefix(o.Path, "/") {
		errs = append(errs, fmt.Errorf("operation %q: path %q must start with /", o.ID, o.Path))
	}
	if len(o.Body) > 0 && !json.Valid(o.Body) {
		errs = append(errs, fmt.Errorf("operation %q: body is not JSON", o.ID))
	}
	return errors.Join(errs...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
