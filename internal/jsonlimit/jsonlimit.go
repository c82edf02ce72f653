// Package jsonlimit holds flamock's one cap on JSON nesting, for every
// JSON document a client sends (client assertions, API request bodies),
// and a fast check of it that runs before any decoder does.
//
// # Why 64
//
// MaxDepth is 64 levels of objects and arrays (the outermost object or
// array is level 1; scalars add none):
//   - The documents flamock receives are shallow: JWT claims nest one or
//     two levels, the request bodies of the Social Security APIs (Belgif
//     conventions) fewer than ten. 64 leaves several times that as room.
//   - It is the default cap of the JSON libraries of .NET (System.Text.Json
//     and Json.NET both refuse to read or write deeper than 64 by
//     default), on which many payroll clients are built: a document such a
//     client can produce is never refused here.
//   - Go's encoding/json accepts 10,000 levels, and what reads a decoded
//     document after it (schema validation, the journal, redaction, the
//     inspector) walks it recursively. 64 keeps the work and the stack a
//     hostile body can cost small and fixed.
package jsonlimit

import (
	"errors"
	"fmt"
)

// MaxDepth is the deepest nesting of objects and arrays flamock accepts in
// a JSON document a client sends.
const MaxDepth = 64

// ErrTooDeep is matched (errors.Is) by every *DepthError.
var ErrTooDeep = errors.New("JSON nests too deep")

// DepthError reports a JSON document that nests deeper than a cap.
type DepthError struct {
	Max    int // the cap
	Offset int // byte offset of the '{' or '[' that opened level Max+1
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("JSON nests deeper than %d levels of objects and arrays (at byte %d)", e.Max, e.Offset)
}

// Is reports whether target is ErrTooDeep.
func (e *DepthError) Is(target error) bool { return target == ErrTooDeep }

// Check returns a *DepthError when doc nests objects and arrays deeper
// than MaxDepth, else nil.
func Check[T ~string | ~[]byte](doc T) error { return CheckDepth(doc, MaxDepth) }

// CheckDepth returns a *DepthError when doc nests objects and arrays
// deeper than max, else nil. It reads doc once, allocates nothing unless
// it refuses, and does not otherwise validate: brackets inside strings
// (escapes included) do not count, a stray closing bracket is ignored, and
// whatever is not JSON is left for the decoder to refuse.
func CheckDepth[T ~string | ~[]byte](doc T, max int) error {
	depth := 0
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case '{', '[':
			depth++
			if depth > max {
				return &DepthError{Max: max, Offset: i}
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		case '"':
			i = skipString(doc, i+1)
		}
	}
	return nil
}

// skipString returns the index of the quote that closes the string whose
// first byte is at i (len(doc) when it is not closed).
func skipString[T ~string | ~[]byte](doc T, i int) int {
	for ; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			return i
		case '\\':
			i++ // the escaped byte never closes the string
		}
	}
	return i
}
