package conformance

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/flamock/flamock/conformance/adapters"
)

// referenceFiles maps the SHA-256 of every file of the adapters flamock
// ships (and `flamock init` writes) to its name.
func referenceFiles() map[[32]byte]string {
	out := map[[32]byte]string{}
	for _, lang := range adapters.Languages() {
		tmpl, ok := adapters.Template(lang)
		if !ok {
			continue
		}
		_ = fs.WalkDir(tmpl, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(tmpl, p)
			if err == nil && len(b) > 0 && !strings.HasSuffix(p, ".json") {
				out[sha256.Sum256(b)] = path.Join("conformance/adapters", lang, p)
			}
			return nil
		})
	}
	return out
}

// DetectReference tells whether command runs one of flamock's own
// adapters unmodified: a word of the command names a file (relative to
// dir, or the current directory when dir is empty) whose content is that
// of a shipped adapter, as `flamock init` writes it. It returns a
// description ("conformance/adapters/bash/flamock-client.sh, unmodified,
// as acme/adapter/flamock-client.sh") or "" when the command runs
// something else, the vendor's own client.
func DetectReference(command, dir string) string {
	known := referenceFiles()
	for _, word := range shellWords(command) {
		p := word
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Size() > 1<<20 {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if name, ok := known[sha256.Sum256(b)]; ok {
			if filepath.ToSlash(filepath.Clean(word)) == name {
				return name + ", unmodified"
			}
			return name + ", unmodified, as " + word
		}
	}
	return ""
}

// shellWords splits a command line into words the way sh would for the
// simple cases (blanks, single and double quotes, backslash); it is only
// used to find the files a command names.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(s[i])
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(s[i])
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
