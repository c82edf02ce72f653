package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamock/flamock/conformance/adapters"
)

// The docs are README.md and docs/*.md. These tests keep them honest:
// every command block runs in a test or says why not, every flag they
// name is a flag of the command, every adapter they name ships, and no
// link leaves the repository.

const repoRoot = "../.."

type docBlock struct {
	file   string // relative to the repository root
	line   int    // of the opening fence
	lang   string
	marker string // the comment on the line before the fence, or ""
	body   string
}

func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	out := []string{"README.md"}
	for _, f := range files {
		out = append(out, filepath.ToSlash(strings.TrimPrefix(f, repoRoot+string(filepath.Separator))))
	}
	return out
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docBlocks returns the fenced code blocks of a doc.
func docBlocks(name, text string) []docBlock {
	var out []docBlock
	lines := strings.Split(text, "\n")
	prev := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			if strings.TrimSpace(l) != "" {
				prev = strings.TrimSpace(l)
			}
			continue
		}
		b := docBlock{file: name, line: i + 1, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
		if strings.HasPrefix(prev, "<!--") && strings.HasSuffix(prev, "-->") {
			b.marker = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, "<!--"), "-->"))
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		b.body = strings.Join(body, "\n") + "\n"
		out = append(out, b)
		prev = ""
	}
	return out
}

// isCommandBlock tells the blocks that show commands to run: shell
// blocks, and CI files that run steps.
func isCommandBlock(b docBlock) bool {
	switch b.lang {
	case "sh", "bash", "console", "shell":
		return true
	case "yaml", "yml":
		return strings.Contains(b.body, "run:") || strings.Contains(b.body, "script:")
	}
	return false
}

var (
	markerRunDocs = "run: TestDocsExamples"
	markerRunBy   = regexp.MustCompile(`^run by (Test\w+)(:| |$)`)
	markerNotRun  = regexp.MustCompile(`^not run: \S.{8,}`)
)

// testFuncs lists the Test functions of every _test.go file of the repository.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	funcs := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			funcs[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return funcs
}

// TestDocsCommandsAccounted: every command block of the docs is run by a
// test (this file's TestDocsExamples, or a named test that runs the same
// commands) or is marked as not run, with the reason.
func TestDocsCommandsAccounted(t *testing.T) {
	funcs := testFuncs(t)
	n := 0
	for _, name := range docFiles(t) {
		for _, b := range docBlocks(name, readDoc(t, name)) {
			if !isCommandBlock(b) {
				continue
			}
			n++
			switch m := b.marker; {
			case m == "quickstart:begin" && name == "README.md", m == markerRunDocs:
			case markerRunBy.MatchString(m):
				if test := markerRunBy.FindStringSubmatch(m)[1]; !funcs[test] {
					t.Errorf("%s:%d: the block says it is run by %s, and no such test exists", name, b.line, test)
				}
			case markerNotRun.MatchString(m):
			default:
				t.Errorf("%s:%d: a %s block of commands with no <!-- run by TestX --> or <!-- not run: why --> on the line before it (found %q)", name, b.line, b.lang, m)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d command blocks in the docs; the parser is broken", n)
	}
}

// TestDocsExamples runs the blocks marked "run: TestDocsExamples" with
// the built binary as `flamock` on PATH, each in a new folder.
func TestDocsExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the docs' examples; skipped with -short")
	}
	bash := needTool(t, "bash")
	bin := flamockBinary(t)
	binDir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(binDir, "flamock")); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, name := range docFiles(t) {
		for _, b := range docBlocks(name, readDoc(t, name)) {
			if b.marker != markerRunDocs {
				continue
			}
			ran++
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, bash, "-e", "-o", "pipefail", "-c", b.body)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			out, err := cmd.CombinedOutput()
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cancel()
			if err != nil {
				t.Errorf("%s:%d: %v\n--- block\n%s--- output\n%s", name, b.line, err, b.body, out)
			}
		}
	}
	if ran == 0 {
		t.Error("no block of the docs is marked run: TestDocsExamples")
	}
}

// commandFlags returns the flags `flamock ARGS -h` lists.
func commandFlags(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := flamock(t, append(args, "-h")...)
	if code != 0 {
		t.Fatalf("flamock %s -h: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(stdout, -1) {
		flags = append(flags, m[1])
	}
	return flags
}

var docCommand = regexp.MustCompile(`(?:^|[\s(=$])(?:flamock|bin/flamock|go run \./cmd/flamock)\s+(cert\s+(?:create|check|show)|state\s+check|[a-z]+)\b([^|]*)`)

// docFlagUses finds `flamock CMD ... --flag` in code: the command and the
// flags that follow it on the same (continued) line, outside quotes and
// comments.
func docFlagUses(code string) map[string][]string {
	uses := map[string][]string{}
	code = strings.ReplaceAll(code, "\\\n", " ")
	for _, line := range strings.Split(code, "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = regexp.MustCompile(`"[^"]*"|'[^']*'`).ReplaceAllString(line, `""`)
		for _, m := range docCommand.FindAllStringSubmatch(line, -1) {
			cmd := strings.Join(strings.Fields(m[1]), " ")
			rest := m[2]
			if i := strings.Index(rest, ")"); i >= 0 {
				rest = rest[:i]
			}
			for _, f := range regexp.MustCompile(`(?:^|\s)--?([a-z][a-z0-9-]*)`).FindAllStringSubmatch(rest, -1) {
				uses[cmd] = append(uses[cmd], f[1])
			}
		}
	}
	return uses
}

// TestDocsFlags: every flag the docs give a command is a flag of it, in
// code blocks, in inline code and in the flag tables under a command's
// heading; and every flag of a command that has a heading is named there
// (or in a code block that runs it).
func TestDocsFlags(t *testing.T) {
	known := map[string][]string{}
	named := map[string]map[string]bool{} // command -> flags the docs give it
	headed := map[string]string{}         // command -> where its heading is
	flagsOf := func(cmd string) ([]string, bool) {
		if f, ok := known[cmd]; ok {
			return f, true
		}
		args := strings.Fields(cmd)
		if !slices.ContainsFunc(commands(), func(c command) bool { return c.name == args[0] }) {
			return nil, false
		}
		if args[0] == "cert" || args[0] == "state" {
			if len(args) == 1 {
				return nil, true
			}
		}
		known[cmd] = append(commandFlags(t, args...), "h", "help")
		return known[cmd], true
	}
	check := func(where, cmd string, flags []string) {
		have, ok := flagsOf(cmd)
		if !ok {
			t.Errorf("%s: `flamock %s`: no such command", where, cmd)
			return
		}
		for _, f := range flags {
			if named[cmd] == nil {
				named[cmd] = map[string]bool{}
			}
			named[cmd][f] = true
			if !slices.Contains(have, f) {
				t.Errorf("%s: `flamock %s` has no flag --%s (it has %s)", where, cmd, f, strings.Join(have, ", "))
			}
		}
	}
	heading := regexp.MustCompile("^#+ `flamock ((?:cert|state) [a-z]+|[a-z]+)")
	tableFlag := regexp.MustCompile("^\\| `--?([a-z][a-z0-9-]*)")
	headingFlag := regexp.MustCompile(`\[--([a-z][a-z0-9-]*)`)
	inline := regexp.MustCompile("`([^`\n]+)`")
	bareFlag := regexp.MustCompile(`^--?([a-z][a-z0-9-]*)(?:[ =]|$)`)
	checked := 0
	for _, name := range docFiles(t) {
		text := readDoc(t, name)
		for _, b := range docBlocks(name, text) {
			for cmd, flags := range docFlagUses(b.body) {
				check(name+":"+strconv.Itoa(b.line), cmd, flags)
				checked += len(flags)
			}
		}
		section, sectionLevel := "", 0
		inBlock := false
		for i, l := range strings.Split(text, "\n") {
			where := name + ":" + strconv.Itoa(i+1)
			if strings.HasPrefix(l, "```") {
				inBlock = !inBlock
				continue
			}
			if inBlock {
				continue
			}
			if strings.HasPrefix(l, "#") {
				level := len(l) - len(strings.TrimLeft(l, "#"))
				if m := heading.FindStringSubmatch(l); m != nil {
					section, sectionLevel = m[1], level
					headed[section] = where
					for _, f := range headingFlag.FindAllStringSubmatch(l, -1) {
						check(where, section, []string{f[1]})
					}
				} else if level <= sectionLevel {
					section = "" // a subsection stays in its command's section
				}
			}
			if m := tableFlag.FindStringSubmatch(l); m != nil && section != "" {
				check(where, section, []string{m[1]})
				checked++
			}
			for _, m := range inline.FindAllStringSubmatch(l, -1) {
				if f := bareFlag.FindStringSubmatch(m[1]); f != nil && section != "" {
					check(where, section, []string{f[1]})
					checked++
				}
				for cmd, flags := range docFlagUses(m[1]) {
					check(where, cmd, flags)
					checked += len(flags)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d flag uses; the parser is broken", checked)
	}
	for cmd, where := range headed {
		have, _ := flagsOf(cmd)
		for _, f := range have {
			if f != "h" && f != "help" && !named[cmd][f] {
				t.Errorf("%s: `flamock %s` has a flag --%s that its section does not name", where, cmd, f)
			}
		}
	}
}

// TestDocsAdapters: the --adapter values the docs list are init's, and
// every adapter path they name ships.
func TestDocsAdapters(t *testing.T) {
	cmds := readDoc(t, "docs/commands.md")
	row := regexp.MustCompile("(?m)^\\| `--adapter` \\| `bash` \\| (.*)$").FindStringSubmatch(cmds)
	if row == nil {
		t.Fatal("docs/commands.md: no --adapter row in init's flag table")
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z]+)`").FindAllStringSubmatch(row[1], -1) {
		named[m[1]] = true
	}
	for _, lang := range adapterLanguages {
		if !named[lang] {
			t.Errorf("docs/commands.md: --adapter %s is accepted by init and not documented", lang)
		}
		_, ships := adapters.Template(lang)
		says := strings.Contains(row[1], "`"+lang+"` has no template")
		if ships == says {
			t.Errorf("docs/commands.md: --adapter %s: template ships = %v, the docs say it has none = %v", lang, ships, says)
		}
	}
	for lang := range named {
		if !slices.Contains(adapterLanguages, lang) {
			t.Errorf("docs/commands.md: --adapter %s is documented and init refuses it", lang)
		}
	}
	for _, name := range docFiles(t) {
		for _, m := range regexp.MustCompile(`conformance/adapters/[\w./-]*\w`).FindAllString(readDoc(t, name), -1) {
			if _, err := os.Stat(filepath.Join(repoRoot, m)); err != nil {
				t.Errorf("%s names %s: %v", name, m, err)
			}
		}
	}
}

// headingAnchors returns the GitHub anchors of a Markdown file's headings.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	inBlock := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
		}
		if inBlock || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}

// TestDocsLinks: every link of the docs is to a file of the repository
// (and a heading of it, when it names one); none leaves it.
func TestDocsLinks(t *testing.T) {
	root, _ := filepath.Abs(repoRoot)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, name := range append(docFiles(t), "conformance/CONTRACT.md") {
		text := readDoc(t, name)
		for _, bad := range []string{"DESIGN.md", "../shared", "/work/"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s mentions %s, outside the repository", name, bad)
			}
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target, anchor, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				t.Errorf("%s links outside the repository: %s", name, m[1])
				continue
			}
			file := filepath.Join(root, filepath.Dir(filepath.FromSlash(name)), filepath.FromSlash(target))
			if target == "" {
				file = filepath.Join(root, filepath.FromSlash(name))
			}
			if rel, err := filepath.Rel(root, file); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", name, m[1])
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				if st, serr := os.Stat(file); serr == nil && st.IsDir() {
					continue
				}
				t.Errorf("%s links to %s: %v", name, m[1], err)
				continue
			}
			if anchor != "" && !headingAnchors(string(b))[anchor] {
				t.Errorf("%s links to %s: no such heading", name, m[1])
			}
		}
	}
}

// TestREADMEFitsOnAPage: the README is one page; the reference is in docs/.
func TestREADMEFitsOnAPage(t *testing.T) {
	text := readDoc(t, "README.md")
	if n := strings.Count(text, "\n"); n > 250 {
		t.Errorf("README.md has %d lines; at most 250 (move the reference to docs/)", n)
	}
	for _, want := range []string{"go run ./cmd/flamock serve", "go test ./...", "<!-- quickstart:begin -->", "docs/"} {
		if !strings.Contains(text, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
