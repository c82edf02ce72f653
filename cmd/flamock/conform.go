package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles"
	"github.com/flamock/flamock/profiles/generic"
	"github.com/flamock/flamock/stack"
)

// conformHelp is flamock conform's help text.
const conformHelp = `Judge a client, in any language, against every rule of the conformance catalogue, on the
API of a profile: the FLA by default, or any OpenAPI 3.x / Swagger 2.0 document with --spec.

For each scenario flamock starts the token endpoint and the API on a loopback HTTPS server,
registers the client's certificate, runs CMD once (sh -c, in a process group of its own) with
the FLAMOCK_* variables of the adapter contract (conformance/CONTRACT.md), and judges the mocks'
journal and the client's result lines. The scenarios are built from the operations the client
implements (--operation, repeatable; default: every operation with a success response). It
prints PASS, FAIL or SKIP per rule, and for each failure the evidence and the rule's source; a
rule the API or the chosen operations cannot exercise is a SKIP that says why.

Exit status 0 when every MUST rule passed, 1 otherwise, 2 on a usage error. A run of one of
flamock's own adapters, unmodified (what flamock init writes), judges flamock's reference
client, not yours: the report says so and the exit status is 1 unless --reference is given.

  flamock conform --client "bash conformance/adapters/bash/flamock-client.sh"
  flamock conform --spec dimona.yaml@/REST/dimona/v2 --operation createDeclaration --operation getDeclaration \
      --client "bash conformance/adapters/bash/flamock-client.sh"
  flamock conform --client "java -jar my-adapter.jar" --cert acme.cer --key acme.p12 --password changeit \
      --junit-report conform.xml`

// conformArgs are flamock conform's flags, checked.
type conformArgs struct {
	profile                        stack.Profile
	docs                           []mockfla.Spec
	client, dir, certFile, keyFile string
	password                       string
	operations, scenarios          []string // nil: the default, all
	timeLimit                      time.Duration
	parallel                       int
	reference                      bool
	opts                           conformance.Options
	rf                             reportFlags
}

// parseConformArgs reads and checks the flags, every usage problem at once.
func parseConformArgs(args []string, stdout, stderr io.Writer) (*conformArgs, error) {
	fs := newFlagSet("flamock conform", `flamock conform --client "CMD" [--spec FILE[@BASE]] [--operation ID ...] [flags]`, conformHelp)
	var specs, operations specFlags
	fs.Var(&specs, "spec", "judge on this OpenAPI document, FILE or FILE@BASEPATH (repeatable); default: the profile's own")
	profileName := fs.String("profile", "", "API profile: "+profileNames()+" (default "+profiles.Default+", or generic with --spec)")
	fs.Var(&operations, "operation", "an operationId the client implements (repeatable); default: every operation with a success response")
	a := &conformArgs{}
	fs.StringVar(&a.client, "client", "", "the client's adapter command, run with sh -c (required)")
	fs.StringVar(&a.certFile, "cert", "", "the client's certificate (.cer, .pem or .p12); default: one is generated")
	fs.StringVar(&a.keyFile, "key", "", "the client's private key (.p12 or PEM); may be omitted when --cert is a .p12")
	fs.StringVar(&a.password, "password", "", "password of a PKCS#12 file")
	a.rf = addReportFlags(fs)
	scenarios := fs.String("scenario", "", "scenarios to run, comma-separated (default: all)")
	fs.DurationVar(&a.timeLimit, "time-limit", conformance.DefaultTimeLimit, "time limit of one run of the client; its process group is killed after it")
	fs.IntVar(&a.parallel, "parallel", conformance.DefaultParallel, "scenarios run at once")
	fs.StringVar(&a.dir, "dir", "", "working directory of the client command (default: the current one)")
	fs.BoolVar(&a.reference, "reference", false, "judge flamock's own adapter on purpose: exit 0 when it passes, though it is not your client")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return nil, err
	}
	var problems []string
	if strings.TrimSpace(a.client) == "" {
		problems = append(problems, `--client "CMD" is required`)
	}
	opts, optProblems := a.rf.options()
	a.opts, problems = opts, append(problems, optProblems...)
	var err error
	if a.profile, a.docs, err = conformProfile(*profileName, specs); err != nil {
		return nil, err
	}
	if *scenarios != "" {
		a.scenarios = splitList(*scenarios)
	}
	if len(operations) > 0 {
		a.operations = operations
	}
	if a.timeLimit <= 0 {
		problems = append(problems, "--time-limit must be positive")
	}
	if a.parallel <= 0 {
		problems = append(problems, "--parallel must be positive")
	}
	if a.keyFile != "" && a.certFile == "" {
		problems = append(problems, "--key needs --cert")
	}
	if len(problems) > 0 {
		return nil, usageErrorf("%s", strings.Join(problems, "\n  "))
	}
	return a, nil
}

func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, err := parseConformArgs(args, stdout, stderr)
	if err != nil {
		return err
	}
	var bundle *certgen.Bundle
	if a.certFile != "" {
		if bundle, err = certgen.LoadBundle(a.certFile, a.keyFile, a.password); err != nil {
			return err
		}
	}
	start := time.Now()
	suite, err := conformance.NewSuite(conformance.SuiteConfig{Client: bundle, Profile: a.profile, Specs: a.docs})
	if err != nil {
		return err
	}
	defer suite.Close()
	if err := checkPlan(suite, a.operations, a.scenarios); err != nil {
		return err
	}
	ref := conformance.DetectReference(a.client, a.dir)
	if ref != "" {
		fmt.Fprintf(stderr, "flamock conform: %s is flamock's reference client (%s), not yours: fill in the places marked YOUR CLIENT\n", a.client, ref)
	}
	fmt.Fprintf(stderr, "flamock conform: running %q on the %s profile, %d at a time; one line per scenario as it finishes:\n", a.client, a.profile.Name, a.parallel)
	rep, _, err := suite.Run(ctx, conformance.RunConfig{
		Command: a.client, Dir: a.dir, TimeLimit: a.timeLimit, Parallel: a.parallel, Scenarios: a.scenarios, Operations: a.operations, Options: a.opts,
		Progress: func(r conformance.ScenarioRun) { fmt.Fprintf(stderr, "  %s\n", r.ProgressLine()) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flamock conform: done in %s\n", time.Since(start).Round(time.Millisecond))
	rep.Reference, rep.Subset = ref, a.scenarios != nil || a.operations != nil
	ok := rep.OK()
	if ok && ref != "" && !a.reference {
		ok = false
		fmt.Fprintf(stderr, "flamock conform: exit status 1: this run judged flamock's reference client, not yours (--reference to judge it on purpose)\n")
	}
	return a.rf.write(rep, stdout, ok)
}

// conformProfile picks the profile as serve does (--profile; else generic
// with --spec; else the default) and reads the --spec documents.
func conformProfile(name string, specValues []string) (stack.Profile, []mockfla.Spec, error) {
	if name == "" {
		name = profiles.Default
		if len(specValues) > 0 {
			name = generic.Name
		}
	}
	p, err := profiles.Lookup(name)
	if err != nil {
		return stack.Profile{}, nil, usageErrorf("%v", err)
	}
	var specs []mockfla.Spec
	for _, v := range specValues {
		sp, err := mockfla.SpecFromFlag(v)
		if err != nil {
			return stack.Profile{}, nil, err
		}
		specs = append(specs, sp)
	}
	return p, specs, nil
}

// checkPlan turns an unknown --operation or --scenario into a usage error
// that lists the names there are.
func checkPlan(suite *conformance.Suite, ops, scenarios []string) error {
	plan, err := suite.Plan(ops)
	if err != nil {
		return usageErrorf("--operation: %v", err)
	}
	known := map[string]bool{}
	var all []string
	for _, sc := range plan.Scenarios {
		known[sc.Name] = true
		all = append(all, sc.Name)
	}
	var problems []string
	for _, n := range scenarios {
		if !known[n] {
			problems = append(problems, fmt.Sprintf("--scenario: unknown scenario %q (this run has %s)", n, strings.Join(all, ", ")))
		}
	}
	if len(problems) > 0 {
		return usageErrorf("%s", strings.Join(problems, "\n  "))
	}
	return nil
}

// reportFlags are the flags `conform` and `verify` share: which rules to
// judge and where the report goes.
type reportFlags struct {
	level, skip, junit, jsonFile, html *string
	asJSON                             *bool
}

func addReportFlags(fs *flag.FlagSet) reportFlags {
	return reportFlags{
		level:    fs.String("level", "should", "rules to judge: must (MUST only) or should (all)"),
		skip:     fs.String("skip", "", "rule ids to leave out, comma-separated"),
		junit:    fs.String("junit-report", "", "also write the report as JUnit XML to this file"),
		jsonFile: fs.String("json-report", "", "also write the report as JSON to this file"),
		html:     fs.String("html-report", "", "also write the report as one self-contained HTML page to this file"),
		asJSON:   fs.Bool("json", false, "print the report as JSON instead of text"),
	}
}

// options checks --level and --skip.
func (rf reportFlags) options() (conformance.Options, []string) {
	var opts conformance.Options
	var problems []string
	level, skip := *rf.level, *rf.skip
	switch strings.ToLower(level) {
	case "must":
		opts.Level = conformance.Must
	case "should", "":
		opts.Level = conformance.Should
	default:
		problems = append(problems, fmt.Sprintf("--level %q: want must or should", level))
	}
	for _, id := range splitList(skip) {
		if _, ok := conformance.RuleByID(id); !ok {
			problems = append(problems, fmt.Sprintf("--skip: unknown rule %q (see conformance/RULES.md)", id))
		}
		opts.Skip = append(opts.Skip, id)
	}
	return opts, problems
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// write prints the report and writes the requested files; it returns
// errFailed when ok is false.
func (rf reportFlags) write(rep *conformance.Report, stdout io.Writer, ok bool) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{*rf.junit, rep.WriteJUnit}, {*rf.jsonFile, rep.WriteJSON}, {*rf.html, rep.WriteHTML}} {
		if f.name == "" {
			continue
		}
		if err := writeReportFile(f.name, f.write); err != nil {
			return err
		}
	}
	var err error
	if *rf.asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errFailed
	}
	return nil
}

func writeReportFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}
