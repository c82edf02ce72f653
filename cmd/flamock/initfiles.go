package main

import "text/template"

// initGitignoreTemplate keeps the private keys `flamock init` writes, and
// the journal and state of serve, out of a repository the folder is in.
var initGitignoreTemplate = template.Must(template.New(".gitignore").Parse(`# written by flamock init: private keys never go into a repository
certs/*.key
certs/*.p12
certs/*.pfx
# what flamock serve records
traffic.jsonl
state.log
`))
