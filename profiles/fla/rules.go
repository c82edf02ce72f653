package fla

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/mockfla"
)

// Tenant kinds of the FLA (the tenant layer's detail in the journal).
const (
	tenantEmployer         = "employer"         // path employerId: own number, or a mandate
	tenantTrainingProvider = "trainingProvider" // path providerId: own number
)

// table is the FLA rules table, keyed by the operationIds of the FLA
// documents.
func (p *Profile) table() map[string]mockfla.OpRule {
	employerOp := mockfla.OpRule{Kind: tenantEmployer, Tenant: p.employerTenant, Check: p.yearCheck(nil)}
	providerOp := mockfla.OpRule{Kind: tenantTrainingProvider, Tenant: trainingProviderTenant, Check: p.yearCheck(nil)}
	with := func(r mockfla.OpRule, check func(mockfla.Call) []mockfla.Issue, handle func(mockfla.Call) mockfla.Answer) mockfla.OpRule {
		r.Check, r.Handle = p.yearCheck(check), handle
		return r
	}
	return map[string]mockfla.OpRule{
		"putTrainings":           with(employerOp, p.checkTrainingSet, nil),
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
		"putProviderTraining":    with(providerOp, p.checkProviderTraining, nil),
		"getProviderTraining":    providerOp,
		"deleteProviderTraining": providerOp,
		"listProviderTrainings":  with(providerOp, nil, handleProviderList),
	}
}

// yearCheck is the business check of every FLA operation: a calendarYear
// path parameter within the service window, then the operation's own check
// of the body, if it has one and a body was sent.
func (p *Profile) yearCheck(body func(mockfla.Call) []mockfla.Issue) func(mockfla.Call) []mockfla.Issue {
	return func(c mockfla.Call) []mockfla.Issue {
		var issues []mockfla.Issue
		if raw := c.Param("calendarYear"); raw != "" {
			if y, err := strconv.Atoi(raw); err == nil && !p.opts.ServiceYears.Contains(y) {
				issues = append(issues, invalid("path", "calendarYear", raw, p.windowText(y)))
			}
		}
		if body != nil && c.Body() != nil {
			issues = append(issues, body(c)...)
		}
		return issues
	}
}

// enterpriseTarget reads the enterprise number of a path parameter, in
// canonical form when it is valid (the identifier layer reports it if the
// caller may go on), and the caller's own number.
func enterpriseTarget(c mockfla.Call, param string) (target, own string) {
	raw := c.Param(param)
	target, err := beid.NormalizeEnterpriseNumber(raw)
	if err != nil {
		target = raw
		if len(target) == 9 {
			target = "0" + target
		}
	}
	own, _ = beid.NormalizeEnterpriseNumber(c.Caller().EnterpriseNumber)
	return target, own
}

// employerTenant: an employer only for its own enterprise number, a provider
// only for an employer that gave it an active mandate.
func (p *Profile) employerTenant(c mockfla.Call) *mockfla.Refusal {
	target, own := enterpriseTarget(c, "employerId")
	caller := c.Caller()
	switch caller.Quality {
	case QualityEmployer:
		if own == "" || own != target {
			return &mockfla.Refusal{Rule: "employerOwnNumber", Detail: "an employer may only send data for its own enterprise number " + show(own) + ", not for " + target}
		}
	case QualityProvider:
		mandated, err := p.mandated(c.Request().Context(), own, target, c.Now())
		if err != nil {
			c.Unavailable(err)
			return nil
		}
		if own == "" || !mandated {
			return &mockfla.Refusal{Rule: "providerMandate", Detail: "client " + caller.ClientID + " (provider " + show(own) + ") has no active FLA mandate from employer " + target + " (seed §2.2)"}
		}
	default:
		return &mockfla.Refusal{Rule: "employerQuality", Detail: "quality " + show(caller.Quality) + " may not use the employer API; use the training-provider API"}
	}
	return nil
}

// trainingProviderTenant: a training provider only for its own number.
func trainingProviderTenant(c mockfla.Call) *mockfla.Refusal {
	target, own := enterpriseTarget(c, "providerId")
	if q := c.Caller().Quality; q != QualityTrainingProvider {
		return &mockfla.Refusal{Rule: "trainingProviderQuality", Detail: "quality " + show(q) + " may not use the training-provider API"}
	}
	if own == "" || own != target {
		return &mockfla.Refusal{Rule: "trainingProviderOwnNumber", Detail: "a training provider sends in its own name, with its own enterprise number " + show(own) + ", not " + target + " (seed §2.5)"}
	}
	return nil
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (p *Profile) windowText(y int) string {
	w := p.opts.ServiceYears
	return fmt.Sprintf("calendar year %d is outside the FLA service window %d to %d", y, w.First, w.Last)
}

func invalid(in, name string, value any, detail string) mockfla.Issue {
	return mockfla.InvalidInput(in, name, value, detail)
}

// input is one of the inputs of an issue that involves several.
func input(in, name string, value any) mockfla.Input {
	return mockfla.Input{In: in, Name: name, Value: value}
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
	var ok1, ok2 bool
	d.start, ok1 = parseDate(d.startRaw)
	d.end, ok2 = parseDate(d.endRaw)
	return d, ok1 && ok2
}

// checkDatesAndDuration: start ≤ end, a positive duration that fits the
// dates (at most 24 hours or 1 day per calendar day), a certificate valid
// at least until the end date.
func checkDatesAndDuration(prefix string, m map[string]any, d trainingDates) []mockfla.Issue {
	var out []mockfla.Issue
	if d.end.Before(d.start) {
		out = append(out, invalid("body", prefix+"endDate", d.endRaw, "endDate "+d.endRaw+" is before startDate "+d.startRaw).
			WithInputs(input("body", prefix+"startDate", d.startRaw), input("body", prefix+"endDate", d.endRaw)))
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
				fmt.Sprintf("a duration of %g %s does not fit the %g calendar day(s) from %s to %s", v, unit, days, d.startRaw, d.endRaw)).
				WithInputs(input("body", prefix+"duration.value", v), input("body", prefix+"startDate", d.startRaw), input("body", prefix+"endDate", d.endRaw)))
		}
	}
	if cert, ok := m["certificate"].(map[string]any); ok {
		out = append(out, checkCertificate(prefix+"certificate.", cert, d, prefix+"endDate")...)
	}
	return out
}

// checkCertificate checks a certificate against the training's dates;
// endName names the training's endDate.
func checkCertificate(prefix string, cert map[string]any, d trainingDates, endName string) []mockfla.Issue {
	until, has := cert["validUntil"].(string)
	if !has {
		return nil
	}
	if rec, _ := cert["received"].(bool); !rec {
		return []mockfla.Issue{invalid("body", prefix+"validUntil", until, "validUntil is given but no certificate was received")}
	}
	if u, ok := parseDate(until); ok && u.Before(d.end) {
		return []mockfla.Issue{invalid("body", prefix+"validUntil", until, "the certificate is valid until "+until+", before the end of the training "+d.endRaw).
			WithInputs(input("body", prefix+"validUntil", until), input("body", endName, d.endRaw))}
	}
	return nil
}

// checkTrainingSet: the rules of PUT .../calendarYears/{calendarYear}/trainings.
func (p *Profile) checkTrainingSet(c mockfla.Call) []mockfla.Issue {
	body, _ := c.Body().(map[string]any)
	list, _ := body["trainings"].([]any)
	year, _ := strconv.Atoi(c.Param("calendarYear"))
	var out []mockfla.Issue
	if len(list) > p.opts.MaxTrainings {
		out = append(out, invalid("body", "trainings", nil, fmt.Sprintf("%d trainings; at most %d a year for one employee", len(list), p.opts.MaxTrainings)))
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
				out = append(out, invalid("body", prefix+"reference", ref, fmt.Sprintf("reference %q is also used by trainings[%d]", ref, j)).
					WithInputs(input("body", fmt.Sprintf("trainings[%d].reference", j), ref), input("body", prefix+"reference", ref)))
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
				out = append(out, invalid("body", prefix+f.name, f.raw, fmt.Sprintf("%s %s is not in calendar year %d", f.name, f.raw, year)).
					WithInputs(input("path", "calendarYear", c.Param("calendarYear")), input("body", prefix+f.name, f.raw)))
			}
		}
		out = append(out, checkDatesAndDuration(prefix, m, d)...)
	}
	return out
}

// checkProviderTraining: the rules of PUT .../trainingProviders/{providerId}/trainings/{ref}.
func (p *Profile) checkProviderTraining(c mockfla.Call) []mockfla.Issue {
	m, _ := c.Body().(map[string]any)
	var out []mockfla.Issue
	if d, ok := dates(m); ok {
		if y := d.start.Year(); !p.opts.ServiceYears.Contains(y) {
			out = append(out, invalid("body", "startDate", d.startRaw, p.windowText(y)))
		}
		if d.end.Year() != d.start.Year() && !d.end.Before(d.start) {
			out = append(out, invalid("body", "endDate", d.endRaw, "endDate "+d.endRaw+" is not in the calendar year of startDate "+d.startRaw).
				WithInputs(input("body", "startDate", d.startRaw), input("body", "endDate", d.endRaw)))
		}
		out = append(out, checkDatesAndDuration("", m, d)...)
		parts, _ := m["participants"].([]any)
		if len(parts) > p.opts.MaxParticipants {
			out = append(out, invalid("body", "participants", nil, fmt.Sprintf("%d participants; at most %d", len(parts), p.opts.MaxParticipants)))
		}
		seen := map[string]int{}
		for i, e := range parts {
			p, _ := e.(map[string]any)
			prefix := "participants[" + strconv.Itoa(i) + "]."
			if ssin, ok := p["ssin"].(string); ok {
				if j, dup := seen[ssin]; dup {
					out = append(out, invalid("body", prefix+"ssin", ssin, fmt.Sprintf("SSIN %s is also participants[%d]", ssin, j)).
						WithInputs(input("body", fmt.Sprintf("participants[%d].ssin", j), ssin), input("body", prefix+"ssin", ssin)))
				} else {
					seen[ssin] = i
				}
			}
			if cert, ok := p["certificate"].(map[string]any); ok {
				out = append(out, checkCertificate(prefix+"certificate.", cert, d, "endDate")...)
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
func handleCredit(c mockfla.Call) mockfla.Answer {
	key := c.Key()
	stem := strings.TrimSuffix(key, "trainingCredit")
	rightsKey := stem + "trainingRights"
	raw, ok := c.Stored(rightsKey)
	if !ok {
		c.Layer("store", false, "no training rights at "+rightsKey)
		return c.NotFound("No training rights declared at " + rightsKey + "; the credit is computed from them")
	}
	var rights struct {
		RightDays       float64 `json:"rightDays"`
		CarriedOverDays float64 `json:"carriedOverDays"`
	}
	_ = json.Unmarshal(raw, &rights)
	followed := 0.0
	if raw, ok := c.Stored(stem + "trainings"); ok {
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
	year, _ := strconv.Atoi(c.Param("calendarYear"))
	employer := c.Canonical("employerId")
	_, companyOptOut := c.Stored(c.BasePath() + "/employers/" + employer + "/calendarYears/" + strconv.Itoa(year) + "/optOut")
	_, employeeOptOut := c.Stored(stem + "optOut")
	round := func(f float64) float64 { return math.Round(f*100) / 100 }
	right := rights.RightDays + rights.CarriedOverDays
	c.Layer("store", true, "computed from "+rightsKey)
	return c.JSON(http.StatusOK, map[string]any{
		"calendarYear":         year,
		"rightDays":            round(right),
		"followedDays":         round(followed),
		"remainingDays":        round(math.Max(0, right-followed)),
		"automaticCalculation": !companyOptOut && !employeeOptOut,
	})
}

// handleProviderList answers GET .../trainingProviders/{providerId}/calendarYears/{calendarYear}/trainings:
// the provider's trainings that start in that year, a Belgif page at a time.
func handleProviderList(c mockfla.Call) mockfla.Answer {
	provider := c.Canonical("providerId")
	year := c.Param("calendarYear")
	parent := c.BasePath() + "/trainingProviders/" + provider + "/trainings"
	type summary struct {
		Reference        string `json:"reference"`
		Href             string `json:"href"`
		Name             string `json:"name"`
		StartDate        string `json:"startDate"`
		EndDate          string `json:"endDate"`
		ParticipantCount int    `json:"participantCount"`
	}
	var all []summary
	for _, key := range c.Children(parent) {
		raw, ok := c.Stored(key)
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
	out, n := mockfla.Page(c, all)
	c.Layer("store", true, fmt.Sprintf("%d of %d trainings", n, len(all)))
	return c.JSON(http.StatusOK, out)
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
