package conformance

import "encoding/json"

// problemDetails returns the texts a client must surface from an error
// answer: a Belgif problem's detail and the detail of each of its issues;
// in an API's own error model (a StatusMessage with message, errors[] of
// messages and the like), its message-like fields and those of the entries
// of its list of errors. Nil when the body holds none (not JSON, or no
// such field).
func problemDetails(body []byte) []string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	var out []string
	if d, _ := m["detail"].(string); d != "" {
		out = append(out, d)
		if issues, ok := m["issues"].([]any); ok {
			out = append(out, entryTexts(issues, "detail")...)
		}
		return out
	}
	for _, k := range messageKeys {
		if s, _ := m[k].(string); s != "" {
			out = append(out, s)
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	for _, k := range listKeys {
		if list, ok := m[k].([]any); ok {
			out = append(out, entryTexts(list, messageKeys...)...)
		}
	}
	return out
}

// messageKeys name the human text of an error model, most specific first;
// listKeys its list of errors.
var (
	messageKeys = []string{"detail", "message", "description", "errorMessage"}
	listKeys    = []string{"issues", "errors", "details", "messages"}
)

// entryTexts takes, from each entry of a list of errors, the first of keys
// it holds as a string (an entry that is a string is its own text).
func entryTexts(list []any, keys ...string) []string {
	var out []string
	for _, e := range list {
		switch x := e.(type) {
		case string:
			if x != "" {
				out = append(out, x)
			}
		case map[string]any:
			for _, k := range keys {
				if s, _ := x[k].(string); s != "" {
					out = append(out, s)
					break
				}
			}
		}
	}
	return out
}
