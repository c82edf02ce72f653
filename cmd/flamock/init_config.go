package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/stack"
)

// writeConfig writes flamock.yaml (the profile's own keys from the
// profile, the --spec documents copied into specs/), checks it as serve
// will, and builds the profile from it: what the client may act for.
func (o *initOptions) writeConfig(v *initVars) (*stack.Parts, error) {
	if o.explicitProfile {
		v.Profile = o.profile.Name
	}
	if o.api.Qualities != nil {
		v.Qualities = strings.Join(slices.Sorted(maps.Keys(o.api.Qualities)), " | ")
	}
	own, err := o.grantsByQuality()
	if err != nil {
		return nil, err
	}
	if !own {
		v.OwnScopes, v.Scopes = true, strings.Join(o.api.Scopes, ", ")
	}
	if o.profile.ConfigExample != nil {
		v.ProfileKeys = strings.TrimRight(o.profile.ConfigExample(stack.Identity{ClientID: o.clientID, Quality: o.quality, EnterpriseNumber: o.enterprise}), "\n")
	}
	if len(o.specs) > 0 {
		if err := os.MkdirAll(filepath.Join(o.dir, "specs"), 0o755); err != nil {
			return nil, err
		}
	}
	for _, flagValue := range o.specs {
		sp, err := mockfla.SpecFromFlag(flagValue)
		if err != nil {
			return nil, err
		}
		file := filepath.Join("specs", filepath.Base(sp.Name))
		if err := os.WriteFile(filepath.Join(o.dir, file), sp.Data, 0o644); err != nil {
			return nil, err
		}
		v.Specs = append(v.Specs, initSpec{File: filepath.ToSlash(file), Base: sp.BasePath})
		arg := filepath.Join(o.dir, file)
		if sp.BasePath != "" {
			arg += "@" + sp.BasePath
		}
		v.SpecArgs += " --spec " + arg
	}
	file := filepath.Join(o.dir, "flamock.yaml")
	if err := writeTemplate(file, initConfigTemplate, *v); err != nil {
		return nil, err
	}
	fc, err := loadConfig(file, chooseProfile("", false))
	if err != nil {
		return nil, fmt.Errorf("the config init wrote does not load (a flamock bug): %w", err)
	}
	return fc.profile.Build(stack.Settings{Config: fc.keys})
}

// grantsByQuality reports whether the profile grants the client its
// scopes by its quality (or grants every scope); when it does not (a
// profile that names no qualities), the client's entry names its scopes,
// or serve refuses it.
func (o *initOptions) grantsByQuality() (bool, error) {
	parts, err := o.profile.Build(stack.Settings{})
	if err != nil {
		return false, err
	}
	_, ok := parts.Qualities[o.quality]
	return ok || parts.AllScopes, nil
}

// writeFirstCall chooses the README's first call and writes its body: the
// profile's demo call with a body when the client's quality may make it
// (the FLA: the seed's PUT of trainings), else the first PUT, then POST,
// of a JSON body; else a GET. Enterprise numbers in its path are the
// client's own, or one it acts for.
func (o *initOptions) writeFirstCall(v *initVars, parts *stack.Parts) error {
	op, values, body, bodyFile, ok := o.firstCall()
	if !ok {
		return nil
	}
	i := slices.IndexFunc(o.api.Documents, func(d mockfla.Document) bool { return d.Name == op.Document })
	if i < 0 {
		return nil
	}
	d := o.api.Documents[i]
	params := operationParams(d, op)
	concrete := pathParamRE.ReplaceAllStringFunc(op.Path, func(m string) string {
		name := m[1 : len(m)-1]
		if own := identityValue(d, params[name], o.enterprise, parts.ActsFor); own != "" {
			return own
		}
		return values[name]
	})
	if _, query, ok := strings.Cut(op.Valid.Path, "?"); ok {
		concrete += "?" + query
	}
	v.Operation, v.Method, v.CallURL = op.ID, op.Method, "http://127.0.0.1:8080"+d.BasePath+concrete
	if body == nil {
		return nil
	}
	v.BodyFile, v.ContentType = bodyFile, op.Valid.ContentType
	return os.WriteFile(filepath.Join(o.dir, bodyFile), body, 0o644)
}

// firstCall picks the operation of the README's first call, its path
// parameters and its body.
func (o *initOptions) firstCall() (op stack.Operation, values map[string]string, body []byte, file string, ok bool) {
	var allowed []stack.Operation
	for _, op := range o.api.Operations {
		if op.Unsupported == "" && o.mayCall(op) {
			allowed = append(allowed, op)
		}
	}
	jsonBody := func(op stack.Operation) bool { return strings.Contains(op.Valid.ContentType, "json") }
	if demo := o.api.Demo; demo != nil && demo.Body != nil {
		for _, call := range demo.Calls {
			for _, op := range allowed {
				base := o.basePath(op)
				if call.Body && call.Method == op.Method && jsonBody(op) && pathMatches(base+op.Path, call.Path) {
					return op, pathValues(base+op.Path, call.Path), demo.Body, demo.BodyFile, true
				}
			}
		}
	}
	for _, method := range []string{"PUT", "POST"} {
		for _, op := range allowed {
			if op.Method == method && jsonBody(op) {
				return op, pathValues(op.Path, op.Valid.Path), op.Valid.Body, op.ID + ".json", true
			}
		}
	}
	for _, op := range allowed {
		if op.Method == "GET" {
			return op, pathValues(op.Path, op.Valid.Path), nil, "", true
		}
	}
	return stack.Operation{}, nil, nil, "", false
}

// mayCall reports whether a client of o's quality has a scope op takes.
func (o *initOptions) mayCall(op stack.Operation) bool {
	if o.api.Qualities == nil || len(op.Scopes) == 0 {
		return true
	}
	for _, s := range o.api.Qualities[o.quality] {
		if slices.Contains(op.Scopes, s) {
			return true
		}
	}
	return false
}

func (o *initOptions) basePath(op stack.Operation) string {
	for _, d := range o.api.Documents {
		if d.Name == op.Document {
			return d.BasePath
		}
	}
	return op.BasePath
}

// pathMatches reports whether path is template with its parameters filled.
func pathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, seg := range ts {
		if !strings.HasPrefix(seg, "{") && seg != ps[i] {
			return false
		}
	}
	return true
}
