package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand. Run returns nil on success, an error wrapping
// errUsage for a usage error (exit 2), errFailed when it already printed
// why it failed (exit 1), or any other error (printed, exit 1).
type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var (
	errUsage  = errors.New("usage error")
	errFailed = errors.New("failed") // the command printed its own verdict
)

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func commands() []command {
	return []command{
		{"serve", "run the mock token endpoint and FLA API (a complete demo with no arguments)", runServe},
		{"init", "write a ready folder for your client: certificate, config, adapter template, next commands", runInit},
		{"postman", "write a Postman collection and environment of the served APIs (runs again and again)", runPostman},
		{"token", "get an access token as a real client would (for curl and Postman)", runToken},
		{"conform", "run the conformance suite against your client (any language)", runConform},
		{"verify", "judge a journal recorded by `flamock serve --journal` against the rules", runVerify},
		{"profiles", "list the API profiles serve and conform know (serve --profile NAME)", runProfiles},
		{"cert", "create, check or show a client certificate (create | check | show)", runCert},
		{"state", "check a state file of serve --state for damage (check)", runState},
		{"version", "print the version", runVersion},
		{"help", "print this help, or the help of a command", runHelp},
	}
}

const mainUsage = `flamock: a conformance and test harness for the Belgian Social Security REST channel
(OAuth v5 token endpoint, CareerPro Federal Learning Account API).

Usage:
  flamock <command> [flags] [arguments]

Commands:
%s
Run 'flamock <command> -h' for the flags of a command.
Exit status: 0 success, 1 failure (or a non-compliant certificate), 2 usage error.
`

func writeMainUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeMainUsage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		writeMainUsage(stdout)
		return 0
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			if msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": "); msg != errUsage.Error() {
				fmt.Fprintf(stderr, "flamock %s: %s\n", c.name, goPrefixes.ReplaceAllString(msg, "$1"))
			}
			return 2
		case errors.Is(err, errFailed):
			return 1
		default:
			fmt.Fprintf(stderr, "flamock %s: %s\n", c.name, userText(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "flamock: unknown command %q\n\n", name)
	writeMainUsage(stderr)
	return 2
}

// newFlagSet returns a flag set that prints its usage to stdout when -h is
// asked for and to stderr on a usage error, and never exits by itself.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, description)
		if hasFlags(fs) {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args, allowing flags after positional arguments
// (`flamock cert check FILE --json`). -h prints the usage to stdout.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, flag.ErrHelp
			}
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
			fs.Usage()
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no positional argument.
func parseNoArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err == nil && len(pos) > 0 {
		err = usageErrorf("unexpected argument %q", pos[0])
	}
	return err
}

func runHelp(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		writeMainUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			// Each command prints its own usage for -h.
			return c.run(context.Background(), append(args[1:], "-h"), stdout, stderr)
		}
	}
	return usageErrorf("unknown command %q", args[0])
}
