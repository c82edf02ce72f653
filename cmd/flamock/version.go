package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at release time with
//
//	go build -ldflags "-X main.releaseVersion=v1.2.3 -X main.releaseCommit=$(git rev-parse HEAD)"
//
// (scripts/release.sh does). Empty in an ordinary build, where the version
// and the commit come from the build information Go stamps in the binary.
var (
	releaseVersion string
	releaseCommit  string
)

// buildInfo is what `flamock version` prints.
type buildInfo struct {
	Version  string // v1.2.3, or "(devel)"
	Commit   string // VCS revision, empty when unknown (go run, a tarball)
	Modified bool   // built from a work tree with uncommitted changes
	Time     string // commit time, RFC 3339, when known
}

// readBuildInfo reads the version and commit from the -ldflags override,
// else from the module version (go install module@version) and the VCS
// stamp (go build in a clone).
func readBuildInfo() buildInfo {
	info := buildInfo{Version: "(devel)"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			case "vcs.time":
				info.Time = s.Value
			}
		}
	}
	if releaseVersion != "" {
		info.Version = releaseVersion
	}
	if releaseCommit != "" {
		info.Commit, info.Modified, info.Time = releaseCommit, false, ""
	}
	return info
}

func (b buildInfo) String() string {
	s := "flamock " + b.Version
	switch {
	case b.Commit == "":
		s += ", commit unknown (built without version control information)"
	default:
		s += ", commit " + b.Commit
		if b.Modified {
			s += " with uncommitted changes"
		}
		if b.Time != "" {
			s += " of " + b.Time
		}
	}
	return s + fmt.Sprintf(", %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flamock version", "flamock version",
		"Print the version of flamock, the commit it was built from and the Go version.")
	if err := parseNoArgs(fs, args, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, readBuildInfo())
	return nil
}
