package conformance_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
	"github.com/flamock/flamock/mockfla"
	"github.com/flamock/flamock/profiles/fla"
	"github.com/flamock/flamock/profiles/generic"
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Conformance Suite")
}

var (
	refclient    string // the reference client, built once per suite
	suite        *conformance.Suite
	genericSuite *conformance.Suite // the generic profile on testdata's attestations spec
	runs         *runCache
)

// attestationsSpec is the Swagger 2.0 document in the style of an older
// Social Security API that the generic suite judges on.
const attestationsSpec = "../testdata/specs/attestations-swagger2.yaml@/REST/attestations/v1"

var _ = BeforeSuite(func() {
	dir := GinkgoT().TempDir()
	refclient = filepath.Join(dir, "refclient")
	build := exec.Command("go", "build", "-o", refclient, "./refclient")
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./refclient:\n%s", out)

	suite, err = conformance.NewSuite(conformance.SuiteConfig{Dir: dir, Profile: fla.StackProfile()})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(suite.Close)
	sp, err := mockfla.SpecFromFlag(attestationsSpec)
	Expect(err).NotTo(HaveOccurred())
	genericSuite, err = conformance.NewSuite(conformance.SuiteConfig{Dir: filepath.Join(dir, "generic"), Profile: generic.StackProfile(), Specs: []mockfla.Spec{sp}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(genericSuite.Close)

	ctx, cancel := context.WithCancel(context.Background())
	runs = &runCache{m: map[string]*future{}, sem: make(chan struct{}, 2), ctx: ctx}
	DeferCleanup(func() {
		cancel() // kills the process groups of runs still going
		runs.wait()
	})
})

// prefetch starts every full run the specs of one suite (FLA or generic)
// will ask for, two at a time: they mostly wait (Retry-After, back-off),
// so the suite takes the time of a few runs rather than of all of them.
// Each spec still asks for its own run and judges only that one. With
// ginkgo -p each process runs only the runs of its own specs.
func prefetch(generic bool) {
	if cfg, _ := GinkgoConfiguration(); cfg.ParallelTotal > 1 {
		return
	}
	if generic {
		runs.genericOnce.Do(func() {
			runs.get(genericRun(""))
			for _, b := range genericBugs {
				runs.get(genericRun(b.name))
			}
		})
		return
	}
	runs.once.Do(func() {
		runs.get(refclientRun(""))
		for _, b := range plantedBugs {
			runs.get(refclientRun(b.name))
		}
	})
}

// runKey names one full run of the suite against a command.
type runKey struct {
	generic bool // on genericSuite
	command string
	env     string // one NAME=value, or ""
	attempt int    // another run of the same command (timingBugRun)
}

// timingBugs are the planted bugs whose rule decides on how long the
// client waited. The suite measures a wait on its side of the connection,
// where a loaded machine can only make it look longer: there a bug that
// waits too little can pass for a client that waits enough (never the
// reverse). Their specs take the first of up to three runs that shows
// the bug; any run that fails another rule still fails the spec.
var timingBugs = map[string]bool{"no-backoff": true, "fixed-backoff": true, "ignore-retry-after": true}

// bugRun returns a run of the reference client with bug planted that its
// rule caught, trying again for a timing bug; the last run otherwise.
func bugRun(bug, rule string) runResult {
	GinkgoHelper()
	return bugRunOf(refclientRun, bug, rule)
}

func bugRunOf(key func(string) runKey, bug, rule string) runResult {
	GinkgoHelper()
	var res runResult
	for attempt := 0; attempt < 3; attempt++ {
		k := key(bug)
		k.attempt = attempt
		res = run(k)
		if slices.Contains(res.report.Failed(), rule) || !timingBugs[bug] {
			return res
		}
		GinkgoWriter.Printf("%s not caught by %s in run %d: the machine was too slow to tell; running again\n", bug, rule, attempt+1)
	}
	return res
}

func refclientRun(bug string) runKey {
	if bug == "" {
		return runKey{command: refclient}
	}
	return runKey{command: refclient, env: "FLAMOCK_REFCLIENT_BUG=" + bug}
}

type runResult struct {
	report *conformance.Report
	runs   []conformance.ScenarioRun
	err    error
}

type future struct {
	done chan struct{}
	res  runResult
}

// runCache runs each full conformance run once, in the background, at most
// cap(sem) at a time.
type runCache struct {
	mu          sync.Mutex
	m           map[string]*future
	sem         chan struct{}
	ctx         context.Context
	once        sync.Once
	genericOnce sync.Once
}

func (c *runCache) wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.m {
		<-f.done
	}
}

func (c *runCache) get(k runKey) *future {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := fmt.Sprintf("%t\x00%s\x00%s\x00%d", k.generic, k.command, k.env, k.attempt)
	if f, ok := c.m[id]; ok {
		return f
	}
	f := &future{done: make(chan struct{})}
	c.m[id] = f
	go func() {
		defer close(f.done)
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		cfg := conformance.RunConfig{Command: k.command, TimeLimit: 20 * time.Second}
		if k.env != "" {
			cfg.Env = []string{k.env}
		}
		ctx, cancel := context.WithTimeout(c.ctx, 3*time.Minute)
		defer cancel()
		st := suite
		if k.generic {
			st = genericSuite
		}
		f.res.report, f.res.runs, f.res.err = st.Run(ctx, cfg)
	}()
	return f
}

// run waits for the run of k.
func run(k runKey) runResult {
	GinkgoHelper()
	prefetch(k.generic)
	f := runs.get(k)
	Eventually(f.done).WithTimeout(4 * time.Minute).Should(BeClosed())
	Expect(f.res.err).NotTo(HaveOccurred())
	Expect(f.res.report.Notes).NotTo(ContainElement(ContainSubstring("could not run")), "a scenario could not run")
	return f.res
}

func suiteNow() time.Time { return time.Now() }
