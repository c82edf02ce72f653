// Command flamock is the Belgian Social Security REST channel test harness:
// certificates the portal accepts, a strict mock of the OAuth v5 token
// endpoint, a spec-driven mock of the CareerPro FLA API and a conformance
// suite for clients. Run `flamock help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
