//go:build !unix

package conformance

import "os/exec"

// ownGroup: without process groups, cancellation kills the shell only.
func ownGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
