package main

import "regexp"

// goPrefixes are the package names and internal labels that Go errors of
// flamock's packages start with ("mockoauth: config: mockoauth: add
// client: ..."): words of the code, not of the user.
var goPrefixes = regexp.MustCompile(`(^|: |\n)(?:(?:mockoauth|mockfla|certgen|ssoauth|stack|store|postgres|conformance|journal|fault|beid|redact|profiles|fla|generic|bearer|jsonlimit|inspector): (?:(?:config|add client|spec): )*)+`)

// userText is an error's text in the user's terms: without the Go
// package prefixes, wherever they occur in the chain.
func userText(err error) string {
	return goPrefixes.ReplaceAllString(err.Error(), "$1")
}
