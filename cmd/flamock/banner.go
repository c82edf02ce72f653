package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// displayURL is a URL of a listener that a user can paste: an unspecified
// listening address (0.0.0.0, [::]: every interface) is reached at
// 127.0.0.1 from the same machine, and through the published port from a
// container's host.
func displayURL(scheme string, a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return scheme + "://" + a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// selfCommand is how the user runs the binary that is running: go run's
// build cache stands for `go run ./cmd/flamock`, a bare name was found on
// PATH, anything else is the path it was started with.
func selfCommand() string {
	exe := os.Args[0]
	switch {
	case strings.Contains(exe, "go-build") || strings.HasSuffix(exe, ".test"):
		return "go run ./cmd/flamock"
	case !strings.ContainsRune(exe, filepath.Separator):
		return exe
	}
	return exe
}
