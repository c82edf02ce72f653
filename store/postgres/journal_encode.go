package postgres

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/internal/jsonstr"
)

// appendEvent appends e as json.Marshal encodes it, byte for byte. An API
// call's event (every request to a mocked API writes one) is encoded
// directly: json.Marshal's reflection was a third of the journal writer's
// CPU. Any other event, or one json.Marshal would refuse (a NaN duration,
// a year beyond 9999), goes through json.Marshal; ok is false when that
// fails too, and b is returned unchanged.
func appendEvent(b []byte, e journal.Event) (out []byte, ok bool) {
	if e.API == nil || e.Token != nil || !finite(e.API.DurationMS) || e.Time.Year() < 0 || e.Time.Year() > 9999 {
		j, err := json.Marshal(e)
		if err != nil {
			return b, false
		}
		return append(b, j...), true
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":`...)
	b = jsonstr.Append(b, e.Kind)
	b = append(b, `,"api":`...)
	b = appendAPI(b, e.API)
	return append(b, '}'), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendAPI appends a as json.Marshal does, its fields in declaration
// order, those tagged omitempty left out when empty.
func appendAPI(b []byte, a *journal.API) []byte {
	b = append(b, '{')
	b = appendField(b, "remoteAddr", a.RemoteAddr, true)
	b = appendField(b, "method", a.Method, false)
	b = appendField(b, "path", a.Path, false)
	b = appendField(b, "query", a.Query, true)
	if a.TokenInQuery {
		b = append(b, `"tokenInQuery":true,`...)
	}
	b = appendField(b, "operation", a.Operation, true)
	b = appendField(b, "clientId", a.ClientID, true)
	b = appendField(b, "tokenFingerprint", a.Fingerprint, true)
	if len(a.Layers) > 0 {
		b = append(b, `"layers":[`...)
		for i, l := range a.Layers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendField(b, "name", l.Name, false)
			b = appendField(b, "verdict", l.Verdict, false)
			b = appendField(b, "detail", l.Detail, true)
			b[len(b)-1] = '}' // the last field's comma
		}
		b = append(b, `],`...)
	}
	b = appendField(b, "verdict", a.Verdict, false)
	b = append(b, `"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, ',')
	b = appendField(b, "problemType", a.ProblemType, true)
	if len(a.Issues) > 0 {
		b = append(b, `"issues":[`...)
		for i, s := range a.Issues {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, s)
		}
		b = append(b, `],`...)
	}
	b = appendField(b, "fault", a.Fault, true)
	b = append(b, `"durationMs":`...)
	b = appendFloat(b, a.DurationMS)
	b = append(b, ',')
	b = appendField(b, "requestBody", a.RequestBody, true)
	b = appendField(b, "responseBody", a.ResponseBody, true)
	b[len(b)-1] = '}' // the last field's comma
	return b
}

// appendField appends "name":value, (with its comma); nothing when
// omitEmpty and value is empty.
func appendField(b []byte, name, value string, omitEmpty bool) []byte {
	if omitEmpty && value == "" {
		return b
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = jsonstr.Append(b, value)
	return append(b, ',')
}

// appendFloat appends f as encoding/json writes a float64 (finite).
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 -> e-7, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
