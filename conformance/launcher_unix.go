//go:build unix

package conformance

import (
	"os/exec"
	"syscall"
)

// ownGroup makes the command lead a process group of its own, and makes
// cancellation kill that whole group, not only the shell.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		killGroup(cmd)
		return nil
	}
}

// killGroup sends SIGKILL to the process group the command leads, by its
// id; it does nothing when the command never started.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.Process.Pid <= 0 {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
