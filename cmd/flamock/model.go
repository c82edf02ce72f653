package main

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flamock/flamock/internal/beid"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/stack"
)

// This file holds what flamock init and flamock postman read of the
// chosen profile's API model (stack.API): documents, operations and their
// valid requests, never an API by name.

// profileAPI is the chosen profile's API model (stack.Profile.Model: its
// own, or the one every profile shares) of the documents serve mounts: the
// config's and the flags', else the profile's own.
func profileAPI(fc *fileConfig, specFlagValues []string, profileName string, demo bool) (*stack.API, error) {
	specs, err := fc.specs(specFlagValues)
	if err != nil {
		return nil, err
	}
	p, err := chooseProfile(profileName, len(specFlagValues) > 0)(fc.Profile)
	if err != nil {
		return nil, err
	}
	return p.Model(specs, stack.Settings{Demo: demo, Config: fc.keys})
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// pathValues reads the path parameters of a concrete path (its query
// left out) against its template.
func pathValues(template, path string) map[string]string {
	path, _, _ = strings.Cut(path, "?")
	ts := strings.Split(template, "/")
	ps := strings.Split(path, "/")
	out := map[string]string{}
	if len(ts) != len(ps) {
		return out
	}
	for i, seg := range ts {
		if m := pathParamRE.FindStringSubmatch(seg); m != nil && m[0] == seg {
			if v, err := url.PathUnescape(ps[i]); err == nil {
				out[m[1]] = v
			}
		}
	}
	return out
}

// operationParams are the path parameters of op, by name.
func operationParams(d mockfla.Document, op stack.Operation) map[string]*openapi3.Parameter {
	out := map[string]*openapi3.Parameter{}
	item := d.Doc.Paths.Value(op.Path)
	if item == nil {
		return out
	}
	params := append(openapi3.Parameters{}, item.Parameters...)
	if o := item.GetOperation(op.Method); o != nil {
		params = append(params, o.Parameters...)
	}
	for _, p := range params {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
			out[p.Value.Name] = p.Value
		}
	}
	return out
}

// identityValue is the value of a path parameter that holds an enterprise
// number: the client's own, or the first it acts for (actsFor, the
// profile's tenant rule: for the FLA, an employer that mandated a
// provider), in the form the parameter's schema accepts (without the
// leading 0 where it may). Examples in a document name someone else; a
// tenant check would refuse them. "" for any other parameter.
func identityValue(d mockfla.Document, p *openapi3.Parameter, enterprise string, actsFor func(string) []string) string {
	if p == nil || enterprise == "" || mockfla.IdentifierKind(p.Name, p.Schema) != beid.KindEnterprise {
		return ""
	}
	ent := enterprise
	if actsFor != nil {
		if others := actsFor(enterprise); len(others) > 0 {
			ent = others[0]
		}
	}
	for _, v := range []string{strings.TrimPrefix(ent, "0"), ent} {
		if mockfla.CheckRequestValue(d.Doc, p.Schema, v) == nil {
			return v
		}
	}
	return ent
}
