package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// DefaultTimeLimit bounds one run of the client's command.
const DefaultTimeLimit = 30 * time.Second

// Limits on what is kept of a client's output.
const (
	maxStdout     = 4 << 20
	stderrTailLen = 4 << 10
)

// Launch describes one run of the client's command.
type Launch struct {
	// Command is run with "sh -c", in Dir, in a process group of its own.
	Command string
	Dir     string
	// Env is added to the suite's own environment.
	Env []string
	// TimeLimit bounds the run; zero means DefaultTimeLimit. At the limit
	// the whole process group is killed.
	TimeLimit time.Duration
}

// Run is what came of a Launch.
type Run struct {
	Command    string        `json:"command"`
	ExitCode   int           `json:"exitCode"` // -1 when killed by a signal or not started
	TimedOut   bool          `json:"timedOut,omitempty"`
	Duration   time.Duration `json:"durationNs"`
	StartError string        `json:"startError,omitempty"`
	Stdout     []byte        `json:"-"`
	StderrTail string        `json:"stderrTail,omitempty"`
	Results    []Result      `json:"results,omitempty"`
	// Problems lists every way the run broke the contract: crash,
	// non-zero exit, time limit, bad output, missing results.
	Problems []string `json:"problems,omitempty"`
}

// Start runs l and waits for it, within its time limit or until ctx ends.
// It never panics and never waits longer than the time limit plus a few
// seconds, even when the command leaves children holding its output.
func (l Launch) Start(ctx context.Context) *Run {
	limit := l.TimeLimit
	if limit <= 0 {
		limit = DefaultTimeLimit
	}
	run := &Run{Command: l.Command, ExitCode: -1}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	cmd := exec.CommandContext(ctx, "sh", "-c", l.Command)
	cmd.Dir = l.Dir
	cmd.Env = append(os.Environ(), l.Env...)
	cmd.Stdin = nil // /dev/null
	stdout := &capped{max: maxStdout}
	stderr := &tail{max: stderrTailLen}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ownGroup(cmd)
	cmd.WaitDelay = 2 * time.Second // children that keep the pipes open

	start := time.Now()
	if err := cmd.Start(); err != nil {
		run.StartError = err.Error()
		run.Problems = append(run.Problems, "the command could not start: "+err.Error())
		return run
	}
	err := cmd.Wait()
	killGroup(cmd) // leftovers of a command that exited
	run.Duration = time.Since(start)
	run.Stdout = stdout.Bytes()
	run.StderrTail = stderr.String()
	if cmd.ProcessState != nil {
		run.ExitCode = cmd.ProcessState.ExitCode()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		run.TimedOut = true
		run.Problems = append(run.Problems, fmt.Sprintf("the command did not finish within %s; its process group was killed", limit))
	} else if ctx.Err() != nil {
		run.Problems = append(run.Problems, "the run was cancelled; its process group was killed")
	}
	var exitErr *exec.ExitError
	switch {
	case run.TimedOut || ctx.Err() != nil:
	case errors.As(err, &exitErr) && run.ExitCode == -1:
		run.Problems = append(run.Problems, "the command crashed: "+exitErr.String())
	case run.ExitCode != 0:
		run.Problems = append(run.Problems, fmt.Sprintf("the command exited with status %d; it must exit 0 once it has run the operations, whatever they returned", run.ExitCode))
	case errors.Is(err, exec.ErrWaitDelay):
		run.Problems = append(run.Problems, "the command exited but a process it started kept its output open")
	case err != nil:
		run.Problems = append(run.Problems, "waiting for the command: "+err.Error())
	}
	if stdout.truncated {
		run.Problems = append(run.Problems, fmt.Sprintf("stdout is larger than %d bytes; the rest was ignored", maxStdout))
	}
	results, bad := ParseResults(run.Stdout)
	run.Results = results
	run.Problems = append(run.Problems, bad...)
	return run
}

// capped is a buffer that keeps the first max bytes.
type capped struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room < len(p) {
		c.truncated = true
		c.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

func (c *capped) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes())
}

// tail keeps the last max bytes written.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
