package mockfla

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tenant kinds of the FLA profile.
const (
	tenantEmployer         = "employer"         // path employerId: own number, or a mandate
	tenantTrainingProvider = "trainingProvider" // path providerId: own number
)

// opRule is what the FLA profile adds to one operation.
type opRule struct {
	tenant      string
	tenantParam string
	// check returns the business-rule issues of a valid request.
	check func(s *Server, c *call) []Issue
	// handle replaces the store's generic behaviour (computed resources).
	handle func(s *Server, c *call) *response
}

var (
	employerOp = opRule{tenant: tenantEmployer, tenantParam: "employerId"}
	providerOp = opRule{tenant: tenantTrainingProvider, tenantParam: "providerId"}
)

func with(r opRule, check func(*Server, *call) []Issue, handle func(*Server, *call) *response) opRule {
	r.check, r.handle = check, handle
	return r
}

// flaRules is the FLA rules table, keyed by the operationIds of flamock's
// FLA documents (package swagger). Documents of another profile skip it.
var flaRules = map[string]opRule{
	"putTrainings":           with(employerOp, checkTrainingSet, nil),
	"getTrainings":           employerOp,
	"deleteTrainings":        employerOp,
	"putTrainingRights":      employerOp,
	"getTrainingRights":      employerOp,
	"getTrainingCredit":      with(employerOp, nil, handleCredit),
	"putEmployerOptOut":      employerOp,
	"getEmployerOptOut":      employerOp,
	"deleteEmployerOptOut":   employerOp,
	"putEmployeeOptOut":      employerOp,
	"getEmployeeOptOut":      employerOp,
	"deleteEmployeeOptOut":   employerOp,
	"putProviderTraining":    with(providerOp, checkProviderTraining, nil),
	"getProviderTraining":    providerOp,
	"deleteProviderTraining": providerOp,
	"listProviderTrainings":  with(providerOp, nil, handleProviderList),
}

// business applies the FLA business rules (400 badRequest, invalidInput).
func (s *Server) business(c *call) *response {
	rule := c.op.rule
	if rule == nil {
		return nil
	}
	var issues []Issue
	if raw, ok := c.params["calendarYear"]; ok {
		if y, err := strconv.Atoi(raw); err == nil && !s.cfg.ServiceYears.Contains(y) {
			issues = append(issues, invalid("path", "calendarYear", raw, s.windowText(y)))
		}
	}
	if rule.check != nil && c.value != nil {
		issues = append(issues, rule.check(s, c)...)
	}
	if len(issues) > 0 {
		c.layer("business", false, strconv.Itoa(len(issues))+" rule(s) broken")
		return badRequest(issues)
	}
	c.layer("business", true, "")
	return nil
}

func (s *Server) windowText(y int) string {
	w := s.cfg.ServiceYears
	return fmt.Sprintf("calendar year %d is outside the FLA service window %d to %d", y, w.First, w.Last)
}

func invalid(in, name string, value any, detail string) Issue {
	return Issue{Type: IssueInvalidInput, Title: titleInvalid, Detail: detail, In: in, Name: name, Value: value}
}

// training is the part of a training that the rules read.
type trainingDates struct {
	start, end time.Time
	startRaw   string
	endRaw     string
}

func dates(m map[string]any) (trainingDates, bool) {
	var d trainingDates
	d.startRaw, _ = m["startDate"].(string)
	d.endRaw, _ = m["endDate"].(string)
	var err1, err2 error
	d.start, err1 = time.Parse(time.DateOnly, d.startRaw)
	d.end, err2 = time.Parse(time.DateOnly, d.endRaw)
	return d, err1 == nil && err2 == nil
}

// checkDatesAndDuration: start ≤ end, a positive duration that fits the
// dates (at most 24 hours or 1 day per calendar day), a certificate valid
// at least until the end date.
func checkDatesAndDuration(prefix string, m map[string]any, d trainingDates) []Issue {
	var out []Issue
	if d.end.Before(d.start) {
		out = append(out, invalid("body", prefix+"endDate", d.endRaw, "endDate "+d.endRaw+" is before startDate "+d.startRaw))
		return out
	}
	days := d.end.Sub(d.start).Hours()/24 + 1
	if dur, ok := m["duration"].(map[string]any); ok {
		v, _ := number(dur["value"])
		unit, _ := dur["unit"].(string)
		limit := days
		if unit == "hours" {
			limit = days * 24
		}
		if v <= 0 || v > limit {
			out = append(out, invalid("body", prefix+"duration.value", v,
				fmt.Sprintf("a duration of %g %s does not fit the %g calendar day(s) from %s to %s", v, unit, days, d.startRaw, d.endRaw)))
		}
	}
	if cert, ok := m["certificate"].(map[string]any); ok {
		out = append(out, checkCertificate(prefix+"certificate.", cert, d)...)
	}
	return out
}

func checkCertificate(prefix string, cert map[string]any, d trainingDates) []Issue {
	until, has := cert["validUntil"].(string)
	if !has {
		return nil
	}
	if rec, _ := cert["received"].(bool); !rec {
		return []Issue{invalid("body", prefix+"validUntil", until, "validUntil is given but no certificate was received")}
	}
	if u, err := time.Parse(time.DateOnly, until); err == nil && u.Before(d.end) {
		return []Issue{invalid("body", prefix+"validUntil", until, "the certificate is valid until "+until+", before the end of the training "+d.endRaw)}
	}
	return nil
}

// checkTrainingSet: the rules of PUT .../calendarYears/{calendarYear}/trainings.
func checkTrainingSet(s *Server, c *call) []Issue {
	body, _ := c.value.(map[string]any)
	list, _ := body["trainings"].([]any)
	year, _ := strconv.Atoi(c.params["calendarYear"])
	var out []Issue
	if len(list) > s.cfg.MaxTrainings {
		out = append(out, invalid("body", "trainings", nil, fmt.Sprintf("%d trainings; at most %d a year for one employee", len(list), s.cfg.MaxTrainings)))
	}
	refs := map[string]int{}
	for i, e := range list {
		m, _ := e.(map[string]any)
		if m == nil {
			continue
		}
		prefix := "trainings[" + strconv.Itoa(i) + "]."
		if ref, ok := m["reference"].(string); ok {
			if j, dup := refs[ref]; dup {
				out = append(out, invalid("body", prefix+"reference", ref, fmt.Sprintf("reference %q is also used by trainings[%d]", ref, j)))
			} else {
				refs[ref] = i
			}
		}
		d, ok := dates(m)
		if !ok {
			continue
		}
		for _, f := range []struct {
			name string
			t    time.Time
			raw  string
		}{{"startDate", d.start, d.startRaw}, {"endDate", d.end, d.endRaw}} {
			if f.t.Year() != year {
				out = append(out, invalid("body", prefix+f.name, f.raw, fmt.Sprintf("%s %s is not in calendar year %d", f.name, f.raw, year)))
			}
		}
		out = append(out, checkDatesAndDuration(prefix, m, d)...)
	}
	return out
}

// checkProviderTraining: the rules of PUT .../trainingProviders/{providerId}/trainings/{ref}.
func checkProviderTraining(s *Server, c *call) []Issue {
	m, _ := c.value.(map[string]any)
	var out []Issue
	if d, ok := dates(m); ok {
		if y := d.start.Year(); !s.cfg.ServiceYears.Contains(y) {
			out = append(out, invalid("body", "startDate", d.startRaw, s.windowText(y)))
		}
		if d.end.Year() != d.start.Year() && !d.end.Before(d.start) {
			out = append(out, invalid("body", "endDate", d.endRaw, "endDate "+d.endRaw+" is not in the calendar year of startDate "+d.startRaw))
		}
		out = append(out, checkDatesAndDuration("", m, d)...)
		parts, _ := m["participants"].([]any)
		if len(parts) > s.cfg.MaxParticipants {
			out = append(out, invalid("body", "participants", nil, fmt.Sprintf("%d participants; at most %d", len(parts), s.cfg.MaxParticipants)))
		}
		seen := map[string]int{}
		for i, e := range parts {
			p, _ := e.(map[string]any)
			prefix := "participants[" + strconv.Itoa(i) + "]."
			if ssin, ok := p["ssin"].(string); ok {
				if j, dup := seen[ssin]; dup {
					out = append(out, invalid("body", prefix+"ssin", ssin, fmt.Sprintf("SSIN %s is also participants[%d]", ssin, j)))
				} else {
					seen[ssin] = i
				}
			}
			if cert, ok := p["certificate"].(map[string]any); ok {
				out = append(out, checkCertificate(prefix+"certificate.", cert, d)...)
			}
		}
	}
	return out
}

// hoursPerDay converts hours to days for the credit: a 38-hour week of 5
// days [reconstructed].
const hoursPerDay = 7.6

// handleCredit computes GET .../trainingCredit from the stored rights, the
// stored trainings and the opt-outs.
func handleCredit(s *Server, c *call) *response {
	key := c.op.key(c.canon)
	stem := strings.TrimSuffix(key, "trainingCredit")
	rightsKey := stem + "trainingRights"
	raw, ok := s.store.Get(rightsKey)
	if !ok {
		c.layer("store", false, "no training rights at "+rightsKey)
		return problemResponse(problemFor(http.StatusNotFound, "No training rights declared at "+rightsKey+"; the credit is computed from them"))
	}
	var rights struct {
		RightDays       float64 `json:"rightDays"`
		CarriedOverDays float64 `json:"carriedOverDays"`
	}
	_ = json.Unmarshal(raw, &rights)
	followed := 0.0
	if raw, ok := s.store.Get(stem + "trainings"); ok {
		var set struct {
			Trainings []struct {
				Status       string `json:"status"`
				CountsForFla *bool  `json:"countsForFla"`
				Duration     struct {
					Value float64 `json:"value"`
					Unit  string  `json:"unit"`
				} `json:"duration"`
			} `json:"trainings"`
		}
		_ = json.Unmarshal(raw, &set)
		for _, t := range set.Trainings {
			if t.Status != "completed" || (t.CountsForFla != nil && !*t.CountsForFla) {
				continue
			}
			if t.Duration.Unit == "hours" {
				followed += t.Duration.Value / hoursPerDay
			} else {
				followed += t.Duration.Value
			}
		}
	}
	year, _ := strconv.Atoi(c.params["calendarYear"])
	employer := c.canon["employerId"]
	_, companyOptOut := s.store.Get(c.op.mount.base + "/employers/" + employer + "/calendarYears/" + strconv.Itoa(year) + "/optOut")
	_, employeeOptOut := s.store.Get(stem + "optOut")
	round := func(f float64) float64 { return math.Round(f*100) / 100 }
	right := rights.RightDays + rights.CarriedOverDays
	body, _ := json.Marshal(map[string]any{
		"calendarYear":         year,
		"rightDays":            round(right),
		"followedDays":         round(followed),
		"remainingDays":        round(math.Max(0, right-followed)),
		"automaticCalculation": !companyOptOut && !employeeOptOut,
	})
	c.layer("store", true, "computed from "+rightsKey)
	return &response{status: http.StatusOK, ctype: "application/json", body: body}
}

// handleProviderList answers GET .../trainingProviders/{providerId}/calendarYears/{calendarYear}/trainings:
// the provider's trainings that start in that year, a Belgif page at a time.
func handleProviderList(s *Server, c *call) *response {
	provider := c.canon["providerId"]
	year := c.params["calendarYear"]
	parent := c.op.mount.base + "/trainingProviders/" + provider + "/trainings"
	type summary struct {
		Reference        string `json:"reference"`
		Href             string `json:"href"`
		Name             string `json:"name"`
		StartDate        string `json:"startDate"`
		EndDate          string `json:"endDate"`
		ParticipantCount int    `json:"participantCount"`
	}
	var all []summary
	for _, key := range s.store.Children(parent) {
		raw, ok := s.store.Get(key)
		if !ok {
			continue
		}
		var t struct {
			Name         string            `json:"name"`
			StartDate    string            `json:"startDate"`
			EndDate      string            `json:"endDate"`
			Participants []json.RawMessage `json:"participants"`
		}
		if json.Unmarshal(raw, &t) != nil || !strings.HasPrefix(t.StartDate, year+"-") {
			continue
		}
		ref, _ := url.PathUnescape(key[len(parent)+1:])
		all = append(all, summary{Reference: ref, Href: key, Name: t.Name, StartDate: t.StartDate, EndDate: t.EndDate, ParticipantCount: len(t.Participants)})
	}
	page, size := pageParams(c.r, s.cfg.PageSize)
	items := pageOf(all, page, size)
	out := map[string]any{"items": items, "page": page, "pageSize": size, "totalItems": len(all)}
	addLinks(out, c.r.URL.Path, page, size, len(all), nil)
	body, _ := json.Marshal(out)
	c.layer("store", true, fmt.Sprintf("%d of %d trainings", len(items), len(all)))
	return &response{status: http.StatusOK, ctype: "application/json", body: body}
}

func pageParams(r *http.Request, def int) (page, size int) {
	q := r.URL.Query()
	page, size = 1, def
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n >= 1 {
		page = n
	}
	if n, err := strconv.Atoi(q.Get("pageSize")); err == nil && n >= 1 {
		size = n
	}
	return page, size
}

func pageOf[T any](all []T, page, size int) []T {
	from := (page - 1) * size
	if page-1 > len(all)/max(size, 1) || from >= len(all) || from < 0 {
		return []T{}
	}
	return all[from:min(from+size, len(all))]
}

// addLinks adds the Belgif links self, first, prev and next (only the ones
// allowed, when allowed is not nil).
func addLinks(out map[string]any, path string, page, size, total int, allowed []string) {
	link := func(p int) string { return path + "?page=" + strconv.Itoa(p) + "&pageSize=" + strconv.Itoa(size) }
	set := func(k string, v any) {
		if allowed == nil || slices.Contains(allowed, k) {
			out[k] = v
		}
	}
	set("self", link(page))
	set("first", link(1))
	if page > 1 {
		set("prev", link(page-1))
	}
	if page*size < total {
		set("next", link(page+1))
	}
}

// number reads a decoded JSON number, whatever type the decoder chose.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}
