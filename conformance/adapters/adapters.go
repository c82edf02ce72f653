// Package adapters holds the adapter templates of the conformance contract
// (conformance/CONTRACT.md), one folder per language, embedded so that
// `flamock init --adapter LANG` can write them out.
package adapters

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed */*
var files embed.FS

// Languages lists the languages a template ships for, sorted.
func Languages() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Template returns the files of the template of lang, rooted at its
// folder, and whether one ships.
func Template(lang string) (fs.FS, bool) {
	if st, err := fs.Stat(files, lang); err != nil || !st.IsDir() {
		return nil, false
	}
	sub, err := fs.Sub(files, lang)
	return sub, err == nil
}
