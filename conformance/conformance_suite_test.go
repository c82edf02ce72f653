package conformance_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/flamock/flamock/conformance"
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Conformance Suite")
}

var (
	refclient string // the reference client, built once per suite
	suite     *conformance.Suite
	runs      *runCache
)

var _ = BeforeSuite(func() {
	dir := GinkgoT().TempDir()
	refclient = filepath.Join(dir, "refclient")
	build := exec.Command("go", "build", "-o", refclient, "./refclient")
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./refclient:\n%s", out)

	suite, err = conformance.NewSuite(conformance.SuiteConfig{Dir: dir})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(suite.Close)

	ctx, cancel := context.WithCancel(context.Background())
	runs = &runCache{m: map[string]*future{}, sem: make(chan struct{}, 2), ctx: ctx}
	DeferCleanup(func() {
		cancel() // kills the process groups of runs still going
		runs.wait()
	})
})

// prefetch starts every full run the specs will ask for, two at a time:
// they mostly wait (Retry-After, back-off), so the suite takes the time of
// a few runs rather than of all of them. Each spec still asks for its own
// run and judges only that one. With ginkgo -p each process runs only the
// runs of its own specs.
func prefetch() {
	if cfg, _ := GinkgoConfiguration(); cfg.ParallelTotal > 1 {
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
	command string
	env     string // one NAME=value, or ""
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
	mu   sync.Mutex
	m    map[string]*future
	sem  chan struct{}
	ctx  context.Context
	once sync.Once
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
	id := k.command + "\x00" + k.env
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
		f.res.report, f.res.runs, f.res.err = suite.Run(ctx, cfg)
	}()
	return f
}

// run waits for the run of k.
func run(k runKey) runResult {
	GinkgoHelper()
	prefetch()
	f := runs.get(k)
	Eventually(f.done).WithTimeout(4 * time.Minute).Should(BeClosed())
	Expect(f.res.err).NotTo(HaveOccurred())
	Expect(f.res.report.Notes).To(BeEmpty(), "a scenario could not run")
	return f.res
}

func suiteNow() time.Time { return time.Now() }
