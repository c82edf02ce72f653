package conformance

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flamock/flamock/certgen"
	"github.com/flamock/flamock/internal/journal"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/mockoauth"
	"github.com/flamock/flamock/stack"
)

// DefaultParallel is how many scenarios run at once.
const DefaultParallel = 4

// SuiteConfig configures a Suite.
type SuiteConfig struct {
	// Profile is the API profile whose model the scenarios are built from
	// and whose stack serves them (required; the cmd's registry gives it).
	Profile stack.Profile
	// Specs are the documents to judge the client on; nil means the
	// profile's own (the generic profile has none: Specs is then required).
	Specs []mockfla.Spec
	// Client is the client's certificate and key, registered for every
	// identity of the scenarios. Nil means one is generated (RSA 2048).
	Client *certgen.Bundle
	// Dir holds the files handed to the client (CA, key, certificate,
	// operations). Empty means a temporary directory removed by Close.
	Dir string
}

// Suite holds what the runs of a conformance suite share: the CA, the
// servers' certificates and the client's files. It is safe for
// concurrent use; Close removes its temporary files.
type Suite struct {
	assets  *assets
	tempDir string
	profile stack.Profile
	specs   []mockfla.Spec
	api     *stack.API
}

// NewSuite prepares a Suite.
func NewSuite(cfg SuiteConfig) (*Suite, error) {
	if cfg.Profile.Name == "" {
		return nil, errors.New("conformance: no profile (SuiteConfig.Profile)")
	}
	api, err := cfg.Profile.Model(cfg.Specs, stack.Settings{Conformance: true})
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	s := &Suite{profile: cfg.Profile, specs: cfg.Specs, api: api}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "flamock-conform-")
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		dir, s.tempDir = d, d
	} else if err := os.MkdirAll(dir, 0o700); err != nil { // the client's key goes in it
		return nil, fmt.Errorf("conformance: %w", err)
	}
	client := cfg.Client
	if client == nil {
		var err error
		client, err = certgen.Create(certgen.Request{CommonName: "flamock conformance client", Organization: "flamock", EnterpriseNumber: api.Conformance.Client.EnterpriseNumber})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("conformance: client certificate: %w", err)
		}
	}
	a, err := newAssets(dir, client)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("conformance: %w", err)
	}
	s.assets = a
	return s, nil
}

// Close removes the suite's temporary directory.
func (s *Suite) Close() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// API is the profile's API model the suite judges on.
func (s *Suite) API() *stack.API { return s.api }

// Plan builds the scenarios of a run on the suite's API: operations are
// the operationIds the client implements (nil: the default).
func (s *Suite) Plan(operations []string) (*Plan, error) { return NewPlan(s.api, operations) }

// Files names the client's key and certificate files and the CA file.
func (s *Suite) Files() (client certgen.Files, caFile, password string) {
	return s.assets.files, s.assets.caFile, s.assets.password
}

// RunConfig is one conformance run of a client command.
type RunConfig struct {
	// Command is the client's adapter, run with sh -c once per scenario.
	Command string
	// Dir is the command's working directory; empty means the current one.
	Dir string
	// Env is added to the command's environment.
	Env []string
	// TimeLimit bounds each scenario's run; zero means DefaultTimeLimit.
	TimeLimit time.Duration
	// Parallel is how many scenarios run at once; zero means DefaultParallel.
	Parallel int
	// Scenarios names the scenarios to run; nil means all. With a subset,
	// only the rules the chosen scenarios exercise are judged.
	Scenarios []string
	// Operations are the operationIds the client implements; nil means
	// the profile's default calls (every operation with a success response
	// the contract carries, without calls of the profile's own).
	Operations []string
	Options    Options
	// Progress, if set, is called as each scenario finishes (from one
	// goroutine at a time).
	Progress func(ScenarioRun)
}

// ScenarioRun is the evidence of one scenario.
type ScenarioRun struct {
	Scenario Scenario
	Trace    *Trace
	Findings []Finding
	Err      error // the scenario could not be set up
	// Duration is the scenario's wall time: mocks, client and judging.
	Duration time.Duration
	// RuleTime is the time each rule's judge took on this scenario.
	RuleTime map[string]time.Duration
	// Unexercised are the rules the scenario is built to exercise that got
	// no evidence in it (the client never got that far), in catalogue
	// order; rules left out by the options are not listed.
	Unexercised []string
}

// Status is the scenario's verdict: FAIL when it could not run or a
// finding failed, SKIP when a rule it is built to exercise got no
// evidence, else PASS.
func (r ScenarioRun) Status() Status {
	switch {
	case r.Err != nil || len(r.FailedRules()) > 0:
		return Fail
	case len(r.Unexercised) > 0:
		return Skip
	}
	return Pass
}

// unexercised lists the rules of r.Scenario.Exercises() that no finding
// of r decided and opts does not leave out.
func (r ScenarioRun) unexercised(opts Options) []string {
	judged := map[string]bool{}
	for _, f := range r.Findings {
		judged[f.Rule] = true
	}
	want := r.Scenario.Exercises()
	var out []string
	for _, rule := range catalogue {
		if slices.Contains(want, rule.ID) && !judged[rule.ID] && opts.ignored(rule) == "" {
			out = append(out, rule.ID)
		}
	}
	return out
}

// FailedRules lists the rules a finding of this scenario failed, in
// catalogue order.
func (r ScenarioRun) FailedRules() []string {
	failed := map[string]bool{}
	for _, f := range r.Findings {
		if !f.Pass {
			failed[f.Rule] = true
		}
	}
	var out []string
	for _, rule := range catalogue {
		if failed[rule.ID] {
			out = append(out, rule.ID)
		}
	}
	return out
}

// Run runs every scenario against the command and judges them.
func (s *Suite) Run(ctx context.Context, cfg RunConfig) (*Report, []ScenarioRun, error) {
	if strings.TrimSpace(cfg.Command) == "" {
		return nil, nil, errors.New("conformance: no client command")
	}
	plan, err := s.Plan(cfg.Operations)
	if err != nil {
		return nil, nil, err
	}
	all := plan.Scenarios
	var picked []Scenario
	for _, sc := range all {
		if cfg.Scenarios == nil || slices.Contains(cfg.Scenarios, sc.Name) {
			picked = append(picked, sc)
		}
	}
	for _, name := range cfg.Scenarios {
		if !slices.ContainsFunc(all, func(sc Scenario) bool { return sc.Name == name }) {
			var names []string
			for _, sc := range all {
				names = append(names, sc.Name)
			}
			return nil, nil, fmt.Errorf("conformance: unknown scenario %q; this run has %s", name, strings.Join(names, ", "))
		}
	}
	par := cfg.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	start := time.Now()
	runs := make([]ScenarioRun, len(picked))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var progress sync.Mutex
	for i, sc := range picked {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			runs[i] = s.runScenario(ctx, sc, cfg)
			runs[i].Duration = time.Since(t0)
			if runs[i].Err == nil {
				runs[i].Unexercised = runs[i].unexercised(cfg.Options)
			}
			if cfg.Progress != nil {
				progress.Lock()
				cfg.Progress(runs[i])
				progress.Unlock()
			}
		}()
	}
	wg.Wait()
	rep := s.report(runs, cfg, start, plan)
	return rep, runs, ctx.Err()
}

// report judges the runs of the chosen scenarios as a whole.
func (s *Suite) report(runs []ScenarioRun, cfg RunConfig, start time.Time, plan *Plan) *Report {
	var findings []Finding
	rep := &Report{Tool: "flamock conform", Client: cfg.Command, Level: levelOf(cfg.Options), Started: start, Notes: slices.Clone(plan.Notes)}
	exercised := map[string]bool{}
	ruleTime := map[string]time.Duration{}
	for _, r := range runs {
		rep.Scenarios = append(rep.Scenarios, r.Scenario.Name)
		for _, id := range r.Scenario.Exercises() {
			exercised[id] = true
		}
		if r.Err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("scenario %s could not run: %v", r.Scenario.Name, r.Err))
			continue
		}
		findings = append(findings, r.Findings...)
		for id, d := range r.RuleTime {
			ruleTime[id] += d
		}
	}
	rep.Outcomes = BuildReport(findings, s.assets.client.Cert, time.Now(), cfg.Options, "no scenario exercised it")
	for i, o := range rep.Outcomes {
		if d, ok := ruleTime[o.Rule.ID]; ok {
			rep.Outcomes[i].Duration = d
		}
		if why, ok := plan.NotExercised[o.Rule.ID]; ok && o.Status == Skip && !o.Ignored {
			rep.Outcomes[i].Reason, rep.Outcomes[i].NotApplicable = "not exercised on this API: "+why, true
			continue
		}
		if cfg.Scenarios != nil && o.Status == Skip && !o.Ignored && !o.NotApplicable && o.Rule.Area != AreaCertificate && !exercised[o.Rule.ID] {
			rep.Outcomes[i].Ignored = true
			rep.Outcomes[i].Reason = "the chosen scenarios do not exercise it (--scenario)"
		}
	}
	rep.Runs = summarizeRuns(runs, rep)
	rep.Duration = time.Since(start)
	return rep
}

// runScenario starts the mocks of one scenario on their own HTTPS server,
// runs the client once and judges the evidence.
func (s *Suite) runScenario(ctx context.Context, sc Scenario, cfg RunConfig) (out ScenarioRun) {
	out.Scenario = sc
	defer func() {
		if v := recover(); v != nil { // a bug of the suite must not hide the others' results
			out.Err = fmt.Errorf("internal error: %v", v)
		}
	}()
	if err := sc.validate(); err != nil {
		out.Err = err
		return out
	}
	j := journal.New(journal.Config{})
	w := &wire{j: j, before: map[int]func(){}}
	var env Env
	for n, f := range sc.Before {
		w.before[n] = func() { f(env) }
	}
	cert := s.assets.serverCert
	if sc.Untrusted {
		cert = s.assets.rogueCert
	}
	var handler handlerSwitch
	var hk handshakes
	hs := startTLS(&handler, cert, &hk)
	defer hs.Close()
	base := hs.URL
	tokenURL := base + mockoauth.DefaultTokenPath

	st, err := newScenarioStack(s, tokenURL, j, mockoauth.Client{ID: sc.Client.ClientID, Quality: sc.Client.Quality,
		EnterpriseNumber: sc.Client.EnterpriseNumber, Certificates: []*x509.Certificate{s.assets.client.Cert}, Scopes: sc.Scopes})
	if err != nil {
		out.Err = err
		return out
	}
	defer st.Close()
	oauth, api := st.OAuth, st.API
	env = Env{OAuth: oauth, API: api}
	mux := http.NewServeMux()
	mux.Handle(mockoauth.DefaultTokenPath, w.handler("token", oauth))
	mux.Handle("/", w.handler("api", api))
	handler.set(mux)
	if sc.Setup != nil {
		if err := sc.Setup(env); err != nil {
			out.Err = err
			return out
		}
	}

	runDir, err := os.MkdirTemp(s.assets.dir, sc.Name+"-")
	if err != nil {
		out.Err = err
		return out
	}
	opsFile := filepath.Join(runDir, "operations.json")
	data, _ := json.MarshalIndent(OperationsFile{Scenario: sc.Name, Operations: sc.Ops}, "", "  ")
	if err := os.WriteFile(opsFile, data, 0o644); err != nil {
		out.Err = err
		return out
	}
	tsvFile := filepath.Join(runDir, "operations.tsv")
	if err := WriteOperationsTSV(tsvFile, sc.Ops); err != nil {
		out.Err = err
		return out
	}
	limit := cfg.TimeLimit
	if limit <= 0 {
		limit = DefaultTimeLimit
	}
	launch := Launch{Command: cfg.Command, Dir: cfg.Dir, TimeLimit: limit,
		Env: append(slices.Clone(cfg.Env), s.clientEnv(sc, base, opsFile, tsvFile, limit)...)}
	run := launch.Start(ctx)
	hs.CloseClientConnections()
	t := &Trace{
		Scenario: sc.Name, Events: j.Events(0), Exchanges: w.snapshot(), Ops: sc.Ops, Run: run, TLS: hk.snapshot(),
		Expect: Expect{
			ClientID: sc.Client.ClientID, TokenURL: tokenURL, TokenPath: mockoauth.DefaultTokenPath, APIBasePath: sc.APIBase,
			Scopes: sc.AskScopes, Cert: s.assets.client.Cert, Rules: sc.rules(), UntrustedTLS: sc.Untrusted,
		},
	}
	out.Trace = t
	out.Findings, out.RuleTime = judgeTimed(t)
	return out
}

// clientEnv are the adapter contract's variables of one scenario, and the
// profile's own (the FLA: the base URL of each of its APIs).
func (s *Suite) clientEnv(sc Scenario, base, opsFile, tsvFile string, limit time.Duration) []string {
	f := s.assets.files
	env := []string{
		EnvTokenURL + "=" + base + mockoauth.DefaultTokenPath,
		EnvAPIURL + "=" + base + sc.APIBase,
		EnvClientID + "=" + sc.Client.ClientID,
		EnvScope + "=" + strings.Join(sc.AskScopes, " "),
		EnvKeyP12 + "=" + f.P12,
		EnvKeyP12Password + "=" + s.assets.password,
		EnvKeyPEM + "=" + f.Key,
		EnvCertPEM + "=" + f.PEM,
		EnvCAFile + "=" + s.assets.caFile,
		EnvOperations + "=" + opsFile,
		EnvOperationsTSV + "=" + tsvFile,
		EnvScenario + "=" + sc.Name,
		EnvTimeLimitSeconds + "=" + strconv.Itoa(int(limit.Seconds())),
	}
	for _, e := range s.api.Conformance.Env {
		env = append(env, e.Name+"="+base+e.BasePath)
	}
	return env
}

// handlerSwitch lets the server start (and its URL be known) before the
// mocks that need that URL exist.
type handlerSwitch struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *handlerSwitch) set(h http.Handler) {
	s.mu.Lock()
	s.h = h
	s.mu.Unlock()
}

func (s *handlerSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// Conform is the one-shot form: it prepares a suite (generating the
// client's certificate when cfg.Client is nil), runs it and cleans up.
func Conform(ctx context.Context, suite SuiteConfig, run RunConfig) (*Report, error) {
	s, err := NewSuite(suite)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rep, _, err := s.Run(ctx, run)
	return rep, err
}
